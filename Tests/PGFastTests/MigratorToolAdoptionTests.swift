import Foundation
import PGFast
import Testing

/// Databases another tool migrated: its history table is written here as the tool writes
/// it (its documented DDL and rows), after the tool's first two migrations ran. The
/// migrator takes over: those two are not applied again, the third is, `status` is clean.
@Suite("Migrator: adopting golang-migrate, sqlx, dbmate, Rails, goose, diesel and Flyway histories")
struct MigratorToolAdoptionTests {
    static let tools = ["golang-migrate", "sqlx", "dbmate", "rails", "goose", "diesel", "flyway"]

    static func directory(_ tool: String) -> String {
        switch tool {
        case "golang-migrate": "golang_migrate"
        case "rails": "dbmate"
        default: tool
        }
    }

    /// What the tool leaves after applying `applied`: its table, exactly as it creates it, and its rows.
    static func writeHistory(_ tool: String, applied: [Migration], on db: Database) async throws {
        switch tool {
        case "golang-migrate":
            // migrate/database/postgres: one row, the current version.
            try await db.execute(
                script: """
                    CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null);
                    INSERT INTO "schema_migrations" (version, dirty) VALUES (\(applied.last!.version), false);
                    """)
        case "sqlx":
            try await db.execute(
                script: """
                    CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                        version BIGINT PRIMARY KEY,
                        description TEXT NOT NULL,
                        installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
                        success BOOLEAN NOT NULL,
                        checksum BYTEA NOT NULL,
                        execution_time BIGINT NOT NULL
                    );
                    """)
            for migration in applied {
                // sqlx: description is the name with spaces; checksum is SHA-384 of the file (here PostgreSQL's own).
                let contents = try Data(contentsOf: migration.upFile)
                try await db.execute(
                    """
                    INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                    VALUES (\(Int64(migration.version)!), \(migration.name.replacingOccurrences(of: "_", with: " ")),
                            TRUE, sha384(\(contents)), 1234567)
                    """)
            }
        case "dbmate":
            try await db.execute(
                script:
                    "CREATE TABLE IF NOT EXISTS public.schema_migrations (version character varying(128) NOT NULL PRIMARY KEY);"
            )
            for migration in applied {
                try await db.execute("INSERT INTO public.schema_migrations (version) VALUES (\(migration.version))")
            }
        case "rails":
            try await db.execute(
                script: """
                    CREATE TABLE "schema_migrations" ("version" character varying NOT NULL PRIMARY KEY);
                    CREATE TABLE "ar_internal_metadata" ("key" character varying NOT NULL PRIMARY KEY,
                        "value" character varying, "created_at" timestamp(6) NOT NULL, "updated_at" timestamp(6) NOT NULL);
                    INSERT INTO "ar_internal_metadata" VALUES ('environment', 'test', now(), now());
                    """)
            for migration in applied {
                try await db.execute("INSERT INTO \"schema_migrations\" (\"version\") VALUES (\(migration.version))")
            }
        case "goose":
            try await db.execute(
                script: """
                    CREATE TABLE goose_db_version (
                        id serial NOT NULL,
                        version_id bigint NOT NULL,
                        is_applied boolean NOT NULL,
                        tstamp timestamp NULL default now(),
                        PRIMARY KEY(id)
                    );
                    INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);
                    -- Older goose recorded a rollback as a row with is_applied = false: 3 was applied, then rolled back.
                    INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, true), (3, false);
                    """)
            for migration in applied {
                try await db.execute(
                    "INSERT INTO goose_db_version (version_id, is_applied) VALUES (\(Int64(migration.version)!), true)")
            }
        case "diesel":
            try await db.execute(
                script: """
                    CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
                        version VARCHAR(50) PRIMARY KEY NOT NULL,
                        run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
                    );
                    """)
            for migration in applied {
                try await db.execute("INSERT INTO __diesel_schema_migrations (version) VALUES (\(migration.version))")
            }
        case "flyway":
            try await db.execute(
                script: """
                    CREATE TABLE "public"."flyway_schema_history" (
                        "installed_rank" INT NOT NULL,
                        "version" VARCHAR(50),
                        "description" VARCHAR(200) NOT NULL,
                        "type" VARCHAR(20) NOT NULL,
                        "script" VARCHAR(1000) NOT NULL,
                        "checksum" INTEGER,
                        "installed_by" VARCHAR(100) NOT NULL,
                        "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
                        "execution_time" INTEGER NOT NULL,
                        "success" BOOLEAN NOT NULL
                    );
                    ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
                    CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");
                    """)
            for (rank, migration) in applied.enumerated() {
                try await db.execute(
                    """
                    INSERT INTO "public"."flyway_schema_history"
                        (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
                    VALUES (\(rank + 1), \(migration.version), \(migration.name.replacingOccurrences(of: "_", with: " ")),
                            'SQL', \(migration.upFile.lastPathComponent), \(Int32(-1_234_567 + rank)), 'postgres', 12, true)
                    """)
            }
        default:
            Issue.record("unknown tool \(tool)")
        }
    }

    @Test(arguments: tools)
    func toolsHistoryIsTakenOver(_ tool: String) async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(Self.directory(tool))
            let set = try migrator.migrations()
            let toolApplied = Array(set.migrations.prefix(set.migrations.count - 1))
            // The tool's migrations ran (as the tool would have run them), then its history was written.
            for migration in toolApplied { try await database.db.execute(try migration.upScript()) }
            try await Self.writeHistory(tool, applied: toolApplied, on: database.db)
            let toolTable = try await database.catalog().filter { !$0.contains("users") && !$0.contains("posts") }

            let status = try await migrator.status()
            #expect(status.map(\.state) == toolApplied.map { _ in .applied } + [.pending], "\(status)")
            #expect(try await migrator.verify().isEmpty)
            #expect(try await migrator.plan().map(\.version) == [set.migrations.last!.version])

            // Nothing applied twice: re-running the first two would fail on existing tables.
            let applied = try await migrator.up()
            #expect(applied.map(\.version) == [set.migrations.last!.version])
            #expect(try await migrator.status().allSatisfy { $0.state == .applied })
            #expect(try await migrator.verify().isEmpty)
            #expect(try await migrator.up().isEmpty)
            #expect(try await database.history().count == set.migrations.count)
            // The tool's table is left as the tool wrote it.
            #expect(
                try await database.catalog().filter { !$0.contains("users") && !$0.contains("posts") }
                    .filter { !$0.contains("pgfast_migrations") && !$0.contains("posts_user_id_idx") } == toolTable)
            // And the migrator can roll back (sqlx's last file is up-only).
            guard tool != "sqlx" else { return }
            try await migrator.down(steps: 1)
            #expect(try await migrator.status().last?.state == .pending)
        }
    }

    @Test func dirtyGolangMigrateRefusesWithTheFix() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("golang_migrate")
            try await database.db.execute(try migrator.migrations().migrations[0].upScript())
            try await database.db.execute(
                script: """
                    CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null);
                    INSERT INTO "schema_migrations" (version, dirty) VALUES (2, true);
                    """)
            let before = try await database.catalog()
            for attempt in [{ _ = try await migrator.up() }, { _ = try await migrator.status() }]
                as [() async throws -> Void]
            {
                let error = await #expect(throws: MigrationError.self) { try await attempt() }
                #expect(error?.code == .dirtyHistory)
                #expect(error?.message.contains("dirty at version 2") == true)
                #expect(error?.hint?.contains("migrate force 2") == true)
            }
            // Nothing was created, not even PGFast's history table.
            #expect(try await database.catalog() == before)
            // Mended as the hint says, the database is adopted up to 2.
            try await database.db.execute("UPDATE schema_migrations SET dirty = false")
            try await database.db.execute(try migrator.migrations().migrations[1].upScript())
            #expect(try await migrator.up().map(\.version) == ["10"])
        }
    }

    @Test func sqlxChecksumMismatchIsReported() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("sqlx")
            let set = try migrator.migrations()
            try await database.db.execute(try set.migrations[0].upScript())
            try await Self.writeHistory("sqlx", applied: [set.migrations[0]], on: database.db)
            // The file sqlx applied was different from the one on disk now.
            try await database.db.execute(
                "UPDATE _sqlx_migrations SET checksum = sha384('CREATE TABLE users (id int);'::bytea)")
            let status = try await migrator.status()
            #expect(status.first?.state == .modified)
            #expect(try await migrator.verify().map(\.code) == [.checksumMismatch])
            let error = await #expect(throws: MigrationError.self) { try await migrator.up() }
            #expect(error?.code == .checksumMismatch)
            #expect(error?.message.contains("20240101000001_create_users") == true)
            #expect(try await database.db.value("SELECT to_regclass('posts') IS NULL", as: Bool.self))
        }
    }

    @Test func failedSqlxOrFlywayRowRefuses() async throws {
        for (tool, fix) in [("sqlx", "DELETE FROM public._sqlx_migrations"), ("flyway", "flyway repair")] {
            try await MigratorDatabase.with { database in
                let migrator = database.migrator(tool)
                let set = try migrator.migrations()
                try await Self.writeHistory(tool, applied: [set.migrations[0]], on: database.db)
                let table = tool == "sqlx" ? "_sqlx_migrations" : "flyway_schema_history"
                try await database.db.execute("UPDATE \(unsafeRaw: table) SET success = false")
                let error = await #expect(throws: MigrationError.self) { try await migrator.up() }
                #expect(error?.code == .dirtyHistory, "\(tool)")
                #expect(error?.hint?.contains(fix) == true, "\(tool): \(error?.hint ?? "")")
                #expect(try await database.db.value("SELECT to_regclass('users') IS NULL", as: Bool.self))
            }
        }
    }

    @Test func flywayBaselineAndUndoRows() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("flyway")
            let set = try migrator.migrations()
            for migration in set.migrations.prefix(2) { try await database.db.execute(try migration.upScript()) }
            try await Self.writeHistory("flyway", applied: [], on: database.db)
            // Baselined at 1.2 (Flyway's `baseline`), then 1.10 applied and undone.
            try await database.db.execute(
                script: """
                    INSERT INTO flyway_schema_history VALUES
                      (1, '1.2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'postgres', now(), 0, true),
                      (2, '1.10', 'index posts', 'SQL', 'V1_10__index_posts.sql', 99, 'postgres', now(), 3, true),
                      (3, '1.10', 'index posts', 'UNDO_SQL', 'U1_10__index_posts.sql', 98, 'postgres', now(), 3, true);
                    """)
            #expect(try await migrator.status().map(\.state) == [.applied, .applied, .pending])
            #expect(try await migrator.up().map(\.version) == ["1.10"])
        }
    }
}
