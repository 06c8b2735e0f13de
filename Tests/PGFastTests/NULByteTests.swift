import Foundation
import Testing

@testable import PGFast

/// libpq sends SQL as C strings: a NUL byte would cut the text there and run only the
/// first part. Every path refuses such text before sending anything.
@Suite("NUL bytes in SQL text")
struct NULByteTests {
    @Test func scriptWithNULRunsNothing() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute("CREATE TABLE t (id int)")
            try await db.execute("INSERT INTO t VALUES (1)")
            let error = await #expect(throws: PostgresError.self) {
                try await db.execute(script: "SELECT 1;\0 DROP TABLE t;")
            }
            #expect(error?.code == .encoding)
            #expect(error?.message.contains("NUL byte (line 1, column 10)") == true)
            #expect(error?.query == "SELECT 1;\\0 DROP TABLE t;")
            // On a pinned connection and a bare one too.
            try await db.withConnection { pinned in
                await #expect(throws: PostgresError.self) { try await pinned.execute(script: "UPDATE t SET id = 2;\0") }
            }
            #expect(try await db.value("SELECT count(*) FROM t WHERE id = 1", as: Int.self) == 1)
        }
    }

    @Test func queriesWithNULAreRefusedWithAndWithoutBinds() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let connection = try await Connection.connect(config)
            try await connection.execute(script: "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)")
            // Extended protocol without binds (PQexecParams of the text alone).
            await #expect(throws: PostgresError.self) {
                try await connection.query(SQL(unsafeRaw: "SELECT 1\0; DELETE FROM t"))
            }
            // With binds: the NUL sits in the SQL text, not in a value.
            let withBinds = await #expect(throws: PostgresError.self) {
                try await connection.query("DELETE FROM t WHERE id = \(1)\0 OR true")
            }
            #expect(withBinds?.code == .encoding)
            #expect(withBinds?.query == "DELETE FROM t WHERE id = $1\\0 OR true")
            await #expect(throws: PostgresError.self) {
                try await connection.pipeline(["DELETE FROM t WHERE id = \(1)", "DELETE FROM t\0 WHERE id = 2"])
            }
            await #expect(throws: PostgresError.self) {
                try await connection.copy("COPY t FROM stdin\0", data: "3\n")
            }
            #expect(try await connection.value("SELECT count(*) FROM t", as: Int.self) == 2)
            await connection.close()
            // The pool's leased path (Database.query) too.
            try await Database.connect(config) { (db: Database) async throws in
                await #expect(throws: PostgresError.self) {
                    try await db.execute("DELETE FROM t WHERE id = \(2)\0 OR true")
                }
                #expect(try await db.value("SELECT count(*) FROM t", as: Int.self) == 2)
            }
        }
    }

    @Test func scriptSplittingNamesTheLineOfTheNUL() throws {
        let error = #expect(throws: SQLScriptError.self) {
            try SQLScript("SELECT 1;\nSELECT 2;\nSELECT '\0';\n", fileName: "seed.sql")
        }
        #expect(error?.code == .nulByte)
        #expect(error?.description.hasPrefix("seed.sql:3: NUL byte") == true)
    }

    @Test func migrationFileWithNULIsRejectedWholeAndVerifyDoesNotPassIt() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_rows_up.sql": "CREATE TABLE rows (id int);\n",
                "20250102000000_more_up.sql": "INSERT INTO rows VALUES (1);\nINSERT INTO rows VALUES (2);\0\n"
                    + "INSERT INTO rows VALUES (3);\n",
            ], in: directory)
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            let before = try await database.catalog()
            let error = await #expect(throws: MigrationError.self) { try await migrator.up() }
            #expect(error?.file?.hasSuffix("20250102000000_more_up.sql") == true)
            #expect(error?.line == 2)
            #expect(error?.description.contains("20250102000000_more_up.sql:2") == true)
            #expect(error?.description.contains("NUL") == true)
            #expect(try await database.catalog() == before)
            await #expect(throws: MigrationError.self) { try await migrator.verify() }
            await #expect(throws: MigrationError.self) { try await migrator.plan() }
        }
    }

    @Test func appliedMigrationEditedToHoldANULIsNotReportedFine() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = "20250101000000_rows_up.sql"
        try TestFixtures.write([file: "CREATE TABLE rows (id int);\n"], in: directory)
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            #expect(try await migrator.up().count == 1)
            #expect(try await migrator.verify().isEmpty)
            try TestFixtures.write([file: "CREATE TABLE rows (id int);\0 DROP TABLE rows;\n"], in: directory)
            await #expect(throws: MigrationError.self) { try await migrator.verify() }
            await #expect(throws: MigrationError.self) { try await migrator.up() }
            #expect(try await database.db.value("SELECT to_regclass('rows') IS NOT NULL", as: Bool.self))
        }
    }

    @Test func fixtureFileWithNULNamesFileAndLineAndLoadsNothing() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = directory.appending(path: "20250101000000_rows_fixture.sql")
        try Data("INSERT INTO rows VALUES (1);\n\nINSERT INTO rows VALUES (2);\0\n".utf8).write(to: fixture)
        try await TestServer.withDatabase { db in
            try await db.execute("CREATE TABLE rows (id int)")
            let error = await #expect(throws: MigrationError.self) { try await Migrator.run(file: fixture, on: db) }
            #expect(error?.description.contains("20250101000000_rows_fixture.sql:3") == true)
            #expect(try await db.value("SELECT count(*) FROM rows", as: Int.self) == 0)
        }
    }
}
