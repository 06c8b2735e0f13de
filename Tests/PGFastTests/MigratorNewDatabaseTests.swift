import Foundation
import Testing

@testable import PGFast

/// ``Migrator/upOnNewDatabase()``: what a template build runs. The same schema and history as
/// `up()`, in fewer round trips, and `up()` itself wherever a history is already there.
@Suite("Migrator: a new database")
struct MigratorNewDatabaseTests {
    @Test func givesTheSchemaAndHistoryUpGives() async throws {
        try await MigratorDatabase.with { viaUp in
            try await MigratorDatabase.with { viaNew in
                let applied = try await viaUp.migrator("good").up()
                let before = await viaNew.db.pool.metrics.queries
                let appliedNew = try await viaNew.migrator("good").upOnNewDatabase()
                let sent = await viaNew.db.pool.metrics.queries - before
                #expect(appliedNew == applied)
                #expect(try await viaNew.history() == viaUp.history())
                #expect(try await viaNew.schemaDump() == viaUp.schemaDump())
                let rows = try await viaNew.db.query(
                    "SELECT version, checksum, module FROM pgfast_migrations WHERE version <> '' ORDER BY id"
                ).decode((String, String, String).self)
                let set = try viaNew.migrator("good").migrations()
                #expect(rows.map(\.1) == applied.map { set[version: $0.version]!.checksum })
                #expect(rows.allSatisfy { $0.2 == "default" })
                // The app's own migrator on a clone finds nothing to do.
                #expect(try await viaNew.migrator("good").up().isEmpty)
                // Two a migration (the file with RESET ALL, its history row), the one that opts
                // out of the transaction a few more, a transaction per run of files: up() took 56.
                #expect(sent <= 2 * applied.count + 16, "\(sent) round trips")
            }
        }
    }

    @Test func aFailingFileNamesItsLineAndLeavesItsTransactionUndone() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_first_up.sql": "CREATE TABLE first (id int);\n",
                "20250102000000_second_up.sql": "CREATE TABLE second (id int);\nSELECT * FROM missing;\n",
            ], in: directory)
        try await MigratorDatabase.with { database in
            let error = await #expect(throws: MigrationError.self) {
                try await database.migrator(urls: [directory]).upOnNewDatabase()
            }
            #expect(error?.code == .applyFailed)
            #expect(error?.file?.hasSuffix("20250102000000_second_up.sql") == true)
            #expect(error?.line == 2)
            // One transaction for both files: neither table, no history row.
            let firstIsGone = try await database.db.value("SELECT to_regclass('first') IS NULL", as: Bool.self)
            let history = try await database.history()
            #expect(firstIsGone)
            #expect(history.isEmpty)
        }
    }

    @Test func aDatabaseWithAHistoryGoesThroughUp() async throws {
        try await MigratorDatabase.with { database in
            _ = try await database.migrator("good").up(to: "20250102000000")
            let applied = try await database.migrator("good").upOnNewDatabase()
            #expect(applied.map(\.version) == ["20250103000000", "20250105000000", "20250104000000"])
            #expect(try await database.history().count == 6)
        }
    }
}
