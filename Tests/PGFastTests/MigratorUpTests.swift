import Foundation
import PGFast
import Testing

@Suite("Migrator: up")
struct MigratorUpTests {
    @Test func appliesInDependencyOrderAndRecordsHistory() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("good")
            let plan = try await migrator.plan()
            let applied = try await migrator.up()
            let expected = [
                "20250101000000 create_users", "20250101120000 create_audit_log", "20250102000000 create_orders",
                "20250103000000 index_orders_user", "20250105000000 create_settings",
                "20250104000000 default_settings",
            ]
            #expect(applied.map { "\($0.version) \($0.name)" } == expected)
            #expect(plan == applied)
            #expect(try await database.history() == expected)

            let rows = try await database.db.query(
                "SELECT version, checksum, module, duration_ms, applied_at FROM pgfast_migrations ORDER BY id"
            ).decode((String, String, String, Double, Date).self)
            let set = try migrator.migrations()
            for (version, checksum, module, duration, appliedAt) in rows {
                #expect(checksum == set[version: version]?.checksum)
                #expect(checksum.count == 64)
                #expect(module == "default")
                #expect(duration > 0)
                #expect(abs(appliedAt.timeIntervalSinceNow) < 600)
            }
            // The schema is really there: the settings rows of the dependent migration too.
            #expect(try await database.db.value("SELECT count(*) FROM settings", as: Int.self) == 2)
            #expect(
                try await database.db.value(
                    "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_user_id_idx'", as: Int.self) == 1)
        }
    }

    @Test func eachMigrationTakesAFewRoundTrips() async throws {
        try await MigratorDatabase.with { database in
            // A template build applies every migration of the app: its round trips are a run's start-up.
            let before = await database.db.pool.metrics.queries
            let applied = try await database.migrator("good").up()
            let sent = await database.db.pool.metrics.queries - before
            #expect(applied.count == 6)
            // Per migration: BEGIN, the lock (one pipeline), the history, the file with RESET ALL,
            // the history row, COMMIT (6; it was 12); the one that opts out of the transaction
            // (CREATE INDEX CONCURRENTLY) about twice that, under the session lock; and a dozen
            // for the set (the history table, other tools' tables). 56 here.
            #expect(sent <= 8 * applied.count + 12, "\(sent) round trips")
        }
    }

    @Test func secondUpAppliesNothing() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("good")
            try await migrator.up()
            let catalog = try await database.catalog()
            #expect(try await migrator.plan().isEmpty)
            #expect(try await migrator.up().isEmpty)
            #expect(try await database.catalog() == catalog)
            #expect(try await database.history().count == 6)
        }
    }

    @Test func upToATargetStopsThere() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("good")
            let applied = try await migrator.up(to: "20250102000000")
            #expect(applied.map(\.version) == ["20250101000000", "20250101120000", "20250102000000"])
            #expect(try await migrator.plan().map(\.version) == ["20250103000000", "20250105000000", "20250104000000"])

            let error = await #expect(throws: MigrationError.self) { try await migrator.up(to: "20990101000000") }
            #expect(error?.code == .unknownVersion)
            #expect(error?.message.contains("20990101000000") == true)
        }
    }

    @Test func failureHalfWayLeavesNoTableAndNoHistoryRow() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_first_up.sql": "CREATE TABLE first (id int);\n",
                "20250102000000_second_up.sql": """
                -- creates two tables, then fails on the third statement
                CREATE TABLE second_a (id int);
                CREATE TABLE second_b (id int);

                INSERT INTO second_a (id)
                VALUES (1),
                       ('not a number');
                """,
                "20250103000000_third_up.sql": "CREATE TABLE third (id int);\n",
            ], in: directory)
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            let error = await #expect(throws: MigrationError.self) { try await migrator.up() }
            #expect(error?.code == .applyFailed)
            #expect(error?.file == directory.appending(path: "20250102000000_second_up.sql").path)
            #expect(error?.line == 7)
            #expect(error?.message.contains("20250102000000_second failed") == true)
            #expect(error?.message.contains("invalid input syntax for type integer") == true)
            #expect(error?.description.contains("20250102000000_second_up.sql:7: ") == true)

            // The first migration stays; nothing of the second; the third never ran.
            #expect(try await database.history() == ["20250101000000 first"])
            let tables = try await database.db.query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).decode(String.self)
            #expect(tables == ["first", "pgfast_migrations"])
        }
    }

    @Test func serverDetailAndHintReachTheError() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_raise_up.sql": """
                CREATE TABLE kept_out (id int);
                DO $$
                BEGIN
                    RAISE EXCEPTION 'custom failure' USING DETAIL = 'the detail', HINT = 'the hint';
                END
                $$;
                """
            ], in: directory)
        try await MigratorDatabase.with { database in
            let error = await #expect(throws: MigrationError.self) {
                try await database.migrator(urls: [directory]).up()
            }
            #expect(error?.message.contains("custom failure") == true)
            #expect(error?.detail == "the detail")
            #expect(error?.hint == "the hint")
            #expect(error?.line == 2)
            #expect(error?.description.contains("\nDETAIL: the detail\nHINT: the hint") == true)
            let tableIsGone = try await database.db.value("SELECT to_regclass('kept_out') IS NULL", as: Bool.self)
            #expect(tableIsGone)
        }
    }

    @Test func noTransactionDirectiveRunsCreateIndexConcurrently() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_items_up.sql": "CREATE TABLE items (id int, name text);\n",
                "20250102000000_items_name_up.sql": """
                -- pgfast:no-transaction
                CREATE INDEX CONCURRENTLY items_name_idx ON items (name);
                """,
                "20250102000000_items_name_down.sql": """
                -- pgfast:no-transaction
                DROP INDEX CONCURRENTLY items_name_idx;
                """,
            ], in: directory)
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            let set = try migrator.migrations()
            #expect(set[version: "20250102000000"]?.runsInTransaction == false)
            try await migrator.up()
            #expect(
                try await database.db.value(
                    "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass", as: Bool.self))
            #expect(try await database.history().count == 2)
            try await migrator.down(steps: 1)
            #expect(try await database.db.value("SELECT to_regclass('items_name_idx') IS NULL", as: Bool.self))

            // Without the directive the server refuses it inside the transaction, naming the line.
            try TestFixtures.write(
                [
                    "20250102000000_items_name_up.sql":
                        "-- forgot the directive\nCREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n"
                ],
                in: directory)
            let error = await #expect(throws: MigrationError.self) {
                try await database.migrator(urls: [directory]).up()
            }
            #expect(error?.message.contains("cannot run inside a transaction block") == true)
            #expect(error?.line == 2)
        }
    }

    @Test func realWorldSQLApplies() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("realworld")
            try await migrator.up()
            let customers = try await database.db.query(
                "SELECT name, \"Display Name; Quoted\", note, pattern FROM billing.customers ORDER BY id"
            ).decode((String, String?, String?, String?).self)
            #expect(customers.map(\.0) == ["Acme; Inc.", "O'Reilly", "Zoë ✓"])
            #expect(customers[0].3 == "back\\slash")
            #expect(customers[1].2 == "line one\nline two")
            #expect(customers[2].2 == "\\.")
            #expect(
                try await database.db.value(
                    "SELECT billing.open_amount(id) FROM billing.customers WHERE id = 1", as: Double.self) == 100.5)
            #expect(
                try await database.db.value("SELECT obj_description('billing'::regnamespace)", as: String.self)
                    == "Billing; invoices and customers")
            // The trigger's body works, semicolons and all.
            await #expect(throws: PostgresError.self) {
                try await database.db.execute("UPDATE billing.invoices SET amount = -1")
            }
            try await migrator.down(steps: 3)
            #expect(try await database.db.value("SELECT to_regnamespace('billing') IS NULL", as: Bool.self))
        }
    }

    @Test func crlfAndByteOrderMarkFilesApply() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("crlf_bom")
            let upBytes = try Data(contentsOf: TestFixtures.url("migrations/crlf_bom/20250101000000_crlf_notes_up.sql"))
            #expect(upBytes.starts(with: [0xEF, 0xBB, 0xBF]))
            #expect(upBytes.contains(0x0D))
            try await migrator.up()
            #expect(try await database.history() == ["20250101000000 crlf_notes"])
            #expect(try await migrator.verify().isEmpty)
            try await migrator.down()
            #expect(try await database.history().isEmpty)
        }
    }

    @Test func pgDumpOutputAsAMigration() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(
            at: TestFixtures.url("scripts/pg_dump_sample.sql"),
            to: directory.appending(path: "20250101000000_restore_dump_up.sql"))
        try await MigratorDatabase.with { database in
            let applied = try await database.migrator(urls: [directory]).up()
            #expect(applied.count == 1)
            #expect(
                try await database.db.value(
                    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
                    as: Int.self) > 1)
        }
    }
}

@Suite("Migrator.run(file:on:)")
struct MigratorRunFileTests {
    @Test func runsAFileInATransactionAndResetsItsSettings() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appending(path: "seed.sql")
        let bad = directory.appending(path: "bad.sql")
        try TestFixtures.write(
            [
                "seed.sql":
                    "SET search_path TO nowhere;\nCREATE TABLE public.seeded (id int);\nINSERT INTO public.seeded VALUES (1);\n",
                "bad.sql": "CREATE TABLE half (id int);\nINSERT INTO half VALUES ('x');\n",
            ], in: directory)
        try await MigratorDatabase.with { database in
            try await database.db.withConnection { db in
                try await Migrator.run(file: good, on: db)
                // The file's search_path did not outlive it on this connection.
                #expect(try await db.value("SELECT count(*) FROM seeded", as: Int.self) == 1)
            }
            let error = await #expect(throws: PostgresError.self) { try await Migrator.run(file: bad, on: database.db) }
            #expect(error?.sourceFile == bad.path)
            #expect(error?.sourceLine == 2)
            let rolledBack = try await database.db.value("SELECT to_regclass('half') IS NULL", as: Bool.self)
            #expect(rolledBack)

            let missing = await #expect(throws: MigrationError.self) {
                try await Migrator.run(file: directory.appending(path: "none.sql"), on: database.db)
            }
            #expect(missing?.code == .missingFile)
        }
    }
}
