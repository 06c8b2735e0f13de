import Foundation
import PGFast
import Testing

@Suite("Migrator: down")
struct MigratorDownTests {
    /// `good` with down files for everything, so any prefix can be rolled back.
    private func shopDirectory() -> URL { TestFixtures.url("sets/shop/migrations") }

    @Test func downStepsRollsBackNewestFirst() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [shopDirectory()])
            try await migrator.up()
            #expect(try await migrator.downPlan(steps: 2).map(\.version) == ["20250103000000", "20250102000000"])
            let rolledBack = try await migrator.down(steps: 2)
            #expect(rolledBack.map(\.version) == ["20250103000000", "20250102000000"])
            #expect(try await database.history().map { String($0.prefix(14)) } == ["20250101000000"])
            #expect(try await migrator.plan().map(\.version) == ["20250102000000", "20250103000000"])
            #expect(try await migrator.down(steps: 0).isEmpty)
            #expect(try await migrator.down(steps: 5).map(\.version) == ["20250101000000"])
            #expect(try await migrator.down(steps: 1).isEmpty)
            #expect(try await database.history().isEmpty)
            let error = await #expect(throws: MigrationError.self) { try await migrator.down(steps: -1) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "steps must be 0 or more, not -1")
        }
    }

    @Test func downToKeepsTheTarget() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [shopDirectory()])
            try await migrator.up()
            #expect(try await migrator.downPlan(to: "20250101000000").count == 2)
            let rolledBack = try await migrator.down(to: "20250101000000")
            #expect(rolledBack.map(\.version) == ["20250103000000", "20250102000000"])
            #expect(try await database.history().count == 1)

            let error = await #expect(throws: MigrationError.self) { try await migrator.down(to: "20250102000000") }
            #expect(error?.code == .unknownVersion)
            #expect(error?.message == "version 20250102000000 is not applied in module \"default\"")
            await #expect(throws: MigrationError.self) { try await migrator.downPlan(to: "20250102000000") }
        }
    }

    @Test func refusesAMigrationWithoutADownFile() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("good")
            try await migrator.up(to: "20250101120000")  // users, then audit (no down file)
            let catalog = try await database.catalog()
            let error = await #expect(throws: MigrationError.self) { try await migrator.down(steps: 2) }
            #expect(error?.code == .noDownFile)
            #expect(error?.file?.hasSuffix("audit/20250101120000_create_audit_log_up.sql") == true)
            #expect(
                error?.message == "cannot roll back 20250101120000_create_audit_log: it has no _down.sql file")
            // Nothing was rolled back, not even the newest one checked before.
            #expect(try await database.catalog() == catalog)
            #expect(try await database.history().count == 2)
            await #expect(throws: MigrationError.self) { try await migrator.downPlan(steps: 1) }
        }
    }

    @Test func refusesWhileADependentStaysApplied() async throws {
        // Applied in dependency order, a dependent is always newer than what it depends on;
        // the order breaks when a file gains a depends_on after it was applied.
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_report_up.sql": "CREATE TABLE report (id int);\n",
                "20250101000000_report_down.sql": "DROP VIEW IF EXISTS report_view;\nDROP TABLE report;\n",
                "20250102000000_base_up.sql": "CREATE TABLE base (id int);\n",
                "20250102000000_base_down.sql": "DROP TABLE base;\n",
            ], in: directory)
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            try await migrator.up()
            // The report now also reads base (the view below stands for what the edited file would create).
            try TestFixtures.write(
                ["20250101000000_report_up.sql": "-- depends_on: 20250102000000\nCREATE TABLE report (id int);\n"],
                in: directory)
            try await database.db.execute("CREATE VIEW report_view AS SELECT * FROM base")
            let catalog = try await database.catalog()
            for attempt in [{ try await migrator.down(steps: 1) }, { try await migrator.downPlan(steps: 1) }]
                as [@Sendable () async throws -> [Migration]]
            {
                let error = await #expect(throws: MigrationError.self) { _ = try await attempt() }
                #expect(error?.code == .dependentStillApplied)
                #expect(error?.file?.hasSuffix("20250102000000_base_up.sql") == true)
                #expect(
                    error?.message
                        == "cannot roll back 20250102000000_base: 20250101000000_report depends on it and stays applied"
                )
                #expect(error?.hint?.contains("roll back 20250101000000_report first") == true)
            }
            #expect(try await database.catalog() == catalog)
            // Both together is fine: the dependent leaves first (dropping base first would fail on the view).
            #expect(try await migrator.downPlan(steps: 2).map(\.version) == ["20250101000000", "20250102000000"])
            #expect(try await migrator.down(steps: 2).map(\.version) == ["20250101000000", "20250102000000"])
            #expect(try await database.history().isEmpty)
        }
    }

    @Test func refusesAMigrationWhoseFilesAreGone() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: shopDirectory(), to: directory.appending(path: "m"))
        let copy = directory.appending(path: "m")
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [copy])
            try await migrator.up()
            for kind in ["up", "down"] {
                try FileManager.default.removeItem(at: copy.appending(path: "20250103000000_create_orders_\(kind).sql"))
            }
            let error = await #expect(throws: MigrationError.self) { try await migrator.down() }
            #expect(error?.code == .missingFile)
            #expect(error?.message == "cannot roll back 20250103000000_create_orders: its files are gone")
            #expect(error?.hint?.contains("restore") == true)
            #expect(try await database.history().count == 3)
        }
    }

    @Test func downThenUpGivesTheSameSchema() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("realworld")
            try await migrator.up()
            let shop = database.migrator(urls: [shopDirectory()], schema: "shop", module: "shop")
            try await shop.up()
            let first = try await database.schemaDump()
            #expect(first.contains("CREATE TABLE billing.invoices"))
            // Unqualified names land on the search path; only the history goes to the module's schema.
            #expect(first.contains("CREATE TABLE public.orders"))
            #expect(first.contains("CREATE TABLE shop.pgfast_migrations"))

            try await migrator.down(steps: 3)
            try await shop.down(steps: 3)
            let empty = try await database.schemaDump()
            #expect(!empty.contains("billing."))
            #expect(!empty.contains("public.orders"))

            try await migrator.up()
            try await shop.up()
            let second = try await database.schemaDump()
            #expect(second == first, "differences: \(MigratorDatabase.lineDifferences(first, second))")
        }
    }
}
