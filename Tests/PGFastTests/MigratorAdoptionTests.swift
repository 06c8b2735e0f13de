import Foundation
import PGFast
import Testing

/// Databases migrated by the Python libraries: their history is adopted, nothing re-applied.
@Suite("Migrator: adopting Python pgfast and pgdbm histories")
struct MigratorAdoptionTests {
    @Test func pythonPgfastHistoryIsAdopted() async throws {
        try await MigratorDatabase.with { database in
            // What Python pgfast left: two migrations of `good` applied, its history table.
            try await database.db.execute(
                script: """
                    CREATE TABLE users (
                        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        email text NOT NULL UNIQUE,
                        created_at timestamptz NOT NULL DEFAULT now()
                    );
                    CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        action text NOT NULL, at timestamptz NOT NULL DEFAULT now());
                    CREATE TABLE _pgfast_migrations (
                        version bigint PRIMARY KEY,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    );
                    INSERT INTO _pgfast_migrations (version, name, checksum, applied_at) VALUES
                        (20250101000000, 'create_users', 'python-checksum-1', '2025-01-01 10:00:00+00'),
                        (20250101120000, 'create_audit_log', 'python-checksum-2', '2025-01-01 12:00:00+00');
                    """)
            let migrator = database.migrator("good")
            // Read-only views see the adopted history without writing anything.
            let status = try await migrator.status()
            #expect(status.filter { $0.state == .applied }.map(\.version) == ["20250101000000", "20250101120000"])
            #expect(status.first?.appliedAt == Date(timeIntervalSince1970: 1_735_725_600))
            #expect(try await migrator.plan().count == 4)
            #expect(try await database.db.value("SELECT to_regclass('pgfast_migrations') IS NULL", as: Bool.self))

            let applied = try await migrator.up()
            #expect(applied.map(\.version) == ["20250102000000", "20250103000000", "20250105000000", "20250104000000"])
            #expect(try await database.history().count == 6)
            #expect(try await migrator.verify().isEmpty)
            // The Python table is left as it was, for a tool still pointed at it.
            #expect(try await database.db.value("SELECT count(*) FROM _pgfast_migrations", as: Int.self) == 2)
            #expect(try await migrator.up().isEmpty)
        }
    }

    @Test func pgdbmHistoryAndDirectoryAreAdopted() async throws {
        try await MigratorDatabase.with { database in
            // What pgdbm left after applying 001 and 002 for module "app" (and something for another module).
            try await database.db.execute(
                script: """
                    CREATE TABLE users (id serial PRIMARY KEY, email varchar(255) UNIQUE NOT NULL,
                        created_at timestamp DEFAULT CURRENT_TIMESTAMP);
                    CREATE TABLE sessions (id serial PRIMARY KEY,
                        user_id integer REFERENCES users (id) ON DELETE CASCADE, expires_at timestamp NOT NULL);
                    CREATE TABLE schema_migrations (
                        id serial PRIMARY KEY,
                        filename varchar(255) NOT NULL,
                        checksum varchar(64) NOT NULL,
                        module_name varchar(255) NOT NULL DEFAULT 'default',
                        applied_at timestamp DEFAULT CURRENT_TIMESTAMP,
                        UNIQUE (filename, module_name)
                    );
                    INSERT INTO schema_migrations (filename, checksum, module_name) VALUES
                        ('001_initial.sql', 'x', 'app'), ('002_add_sessions.sql', 'y', 'app'),
                        ('001_other.sql', 'z', 'other');
                    """)
            let migrator = database.migrator("pgdbm_style", module: "app")
            let set = try migrator.migrations()
            #expect(set.style == .pgdbm)
            #expect(set.migrations.map(\.version) == ["001", "002", "010"])
            #expect(set[version: "010"]?.runsInTransaction == false)  // -- pgdbm:no-transaction

            #expect(try await migrator.plan().map(\.version) == ["010"])
            let applied = try await migrator.up()
            #expect(applied.map(\.displayName) == ["010_add_indexes"])
            #expect(
                try await database.db.value(
                    "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_sessions_user_id'::regclass",
                    as: Bool.self))
            #expect(
                try await database.history(module: "app") == ["001 initial", "002 add_sessions", "010 add_indexes"])
            #expect(try await migrator.status().allSatisfy { $0.state == .applied })

            // Another module's pgdbm rows are not this module's history.
            let fresh = database.migrator("pgdbm_style", module: "fresh")
            #expect(try await fresh.plan().count == 3)
        }
    }

    @Test func pgdbmStyleDirectoryAppliesOnAnEmptyDatabase() async throws {
        try await MigratorDatabase.with { (database: MigratorDatabase) async throws -> Void in
            let migrator = database.migrator("pgdbm_style")
            #expect(try await migrator.up().count == 3)
            #expect(try await migrator.up().isEmpty)
            // No down files in pgdbm style: rolling back is refused, clearly.
            let error = await #expect(throws: MigrationError.self) { try await migrator.down() }
            #expect(error?.code == .noDownFile)
        }
    }
}

@Suite("Migrator: adoption happens once")
struct MigratorAdoptionOnceTests {
    @Test func rolledBackToNothingDoesNotAdoptAgain() async throws {
        try await MigratorDatabase.with { database in
            try await database.db.execute(
                script: """
                    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);
                    CREATE TABLE _pgfast_migrations (version text PRIMARY KEY, name text, checksum text,
                        applied_at timestamptz DEFAULT now());
                    INSERT INTO _pgfast_migrations (version, name, checksum) VALUES ('20250101000000', 'create_users', 'c');
                    """)
            let migrator = database.migrator(urls: [TestFixtures.url("sets/shop/migrations")])
            #expect(try await migrator.up().map(\.version) == ["20250102000000", "20250103000000"])
            let marker = try await database.db.value(
                "SELECT name FROM pgfast_migrations WHERE module = 'default' AND version = ''", as: String.self)
            #expect(marker == "adopted from public._pgfast_migrations")
            #expect(try await migrator.status().count == 3)  // the marker is not a migration

            #expect(try await migrator.down(steps: 3).count == 3)
            #expect(try await database.db.value("SELECT to_regclass('users') IS NULL", as: Bool.self))
            // The Python history still says 20250101000000 is applied; it is not adopted again.
            #expect(try await migrator.plan().count == 3)
            #expect(try await migrator.up().count == 3)
        }
    }
}
