import Foundation
import Testing

@testable import PGFast

@Suite("Migrator: concurrency and modules")
struct MigratorConcurrencyTests {
    @Test func fourMigratorTasksApplyEachMigrationOnce() async throws {
        let directory = try TestFixtures.countingMigrations(12)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await MigratorDatabase.with { database in
            // Four migrators, each with its own pool, as four app instances would have.
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let db = try await Database.connect(database.config)
                        do {
                            let migrator = Migrator(
                                database: db, directories: [directory.path], module: "default")
                            let applied = try await migrator.up().map(\.version)
                            await db.close()
                            return applied
                        } catch {
                            await db.close()
                            throw error
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(applied.count == 12)
            #expect(Set(applied).count == 12)
            let runs = try await database.db.query("SELECT version FROM runs ORDER BY version").decode(String.self)
            #expect(runs.count == 12)
            #expect(Set(runs).count == 12)
            #expect(try await database.history().count == 12)
        }
    }

    @Test func lockTimeoutIsAClearError() async throws {
        try await MigratorDatabase.with { database in
            var migrator = database.migrator("good")
            migrator.lockTimeout = .milliseconds(200)
            // Hold the module's lock from another session, as a running migrator would.
            let holder = try await Connection.connect(database.config)
            let key = Migrator.lockKey(schema: "public", module: "default")
            try await holder.execute("SELECT pg_advisory_lock(\(Migrator.lockClass), \(key))")
            let error = await #expect(throws: MigrationError.self) { try await migrator.up() }
            #expect(error?.code == .lockTimeout)
            #expect(error?.message.contains("module \"default\"") == true)
            #expect(error?.message.contains("200ms") == true)
            #expect(error?.hint?.contains("--timeout") == true)
            await holder.close()
            // Released: the same migrator proceeds, on a pool whose connection lost the lock_timeout.
            #expect(try await migrator.up().count == 6)
        }
    }

    @Test func aSessionLockThatTimesOutLeavesTheSessionsTimeoutAsItWas() async throws {
        try await MigratorDatabase.with { database in
            // One connection: the one that waited for the lock is the one checked afterwards.
            var config = database.config
            config.maxConnections = 1
            try await Database.connect(config) { db in
                var migrator = Migrator(
                    database: db, directories: [TestFixtures.url("migrations/good").path], module: "default")
                #expect(try await migrator.up().count == 6)
                migrator.lockTimeout = .milliseconds(200)
                let holder = try await Connection.connect(database.config)
                let key = Migrator.lockKey(schema: "public", module: "default")
                try await holder.execute("SELECT pg_advisory_lock(\(Migrator.lockClass), \(key))")
                // down takes the session lock (it may roll back files that opted out of the transaction).
                let error = await #expect(throws: MigrationError.self) { try await migrator.down() }
                #expect(error?.code == .lockTimeout)
                #expect(try await db.value("SHOW lock_timeout", as: String.self) == "0")
                await holder.close()
                #expect(try await migrator.down().count == 1)
            }
        }
    }

    @Test func twoModulesShareADatabaseWithSeparateHistoriesAndSchemas() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The same files for two modules: {{tables.x}} puts each module's tables in its schema.
        try TestFixtures.write(
            [
                "20250101000000_accounts_up.sql": """
                CREATE TABLE {{tables.accounts}} (id int PRIMARY KEY, owner text);
                CREATE FUNCTION {{schema}}.account_count() RETURNS bigint LANGUAGE sql
                    AS $$ SELECT count(*) FROM {{tables.accounts}} $$;
                """,
                "20250101000000_accounts_down.sql": """
                DROP FUNCTION {{schema}}.account_count();
                DROP TABLE {{tables.accounts}};
                """,
                "20250102000000_seed_up.sql": "INSERT INTO {{tables.accounts}} VALUES (1, 'a'), (2, 'b');\n",
                "20250102000000_seed_down.sql": "DELETE FROM {{tables.accounts}};\n",
            ], in: directory)
        try await MigratorDatabase.with { database in
            let billing = database.migrator(urls: [directory], schema: "billing", module: "billing")
            let users = database.migrator(urls: [directory], schema: "users", module: "users")
            async let first = billing.up()
            async let second = users.up()
            #expect(try await first.count == 2)
            #expect(try await second.count == 2)
            #expect(try await database.history(module: "billing", schema: "billing").count == 2)
            #expect(try await database.history(module: "users", schema: "users").count == 2)
            #expect(try await database.db.value("SELECT users.account_count()", as: Int.self) == 2)

            try await users.down(steps: 2)
            #expect(try await database.db.value("SELECT to_regclass('users.accounts') IS NULL", as: Bool.self))
            #expect(try await database.db.value("SELECT billing.account_count()", as: Int.self) == 2)
            #expect(try await billing.status().allSatisfy { $0.state == .applied })
            #expect(try await users.status().allSatisfy { $0.state == .pending })

            // Two modules in one schema: one table, two histories.
            let shared1 = database.migrator(urls: [TestFixtures.url("sets/shop/migrations")], module: "shop")
            let shared2 = database.migrator("crlf_bom", module: "notes")
            try await shared1.up()
            try await shared2.up()
            #expect(try await database.history(module: "shop").count == 3)
            #expect(try await database.history(module: "notes").count == 1)
            try await shared1.down(steps: 3)
            #expect(try await shared2.status().map(\.state) == [.applied])
        }
    }
}
