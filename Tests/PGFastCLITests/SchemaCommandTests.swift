import Foundation
import PGFastTesting
import Testing

@testable import PGFast

@Suite("pgfast schema")
struct SchemaCommandTests {
    static let good = CLI.fixture("migrations/good")

    @Test func upStatusVerifyDown() async throws {
        try await CLIDatabase.with { url, db in
            let target = ["--database-url", url, "--migrations", Self.good]
            let up = try await CLI.run(["schema", "up"] + target)
            #expect(up.status == 0, "\(up)")
            #expect(up.stdout.contains("applied 20250101000000_create_users\n"))
            #expect(up.stdout.contains("6 migration(s) applied in "))
            #expect(!up.stdout.hasEscapeCodes)  // not a terminal

            let again = try await CLI.run(["schema", "up"] + target)
            #expect(again.status == 0)
            let againLines = again.stdout.split(separator: "\n")
            #expect(againLines.first?.hasPrefix("database ") == true)  // which database, before anything else
            #expect(againLines.dropFirst().first?.hasPrefix("0 migration(s) applied") == true)

            let status = try await CLI.run(["schema", "status"] + target)
            #expect(status.status == 0, "\(status)")
            let lines = status.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("database ") == true)
            #expect(
                lines.dropFirst().first?.hasPrefix("version         name               state    applied at") == true)
            let settings = try #require(lines.first { $0.hasPrefix("20250104000000") })
            #expect(settings.contains("default_settings   applied  20"))  // aligned columns, ISO time
            #expect(settings.hasSuffix("ms"))
            #expect(lines.last == "6 applied")

            let verify = try await CLI.run(["schema", "verify"] + target)
            #expect(verify.status == 0)
            #expect(verify.stdout.hasSuffix("\nok: every applied migration matches its file\n"))
            #expect(verify.stdout.hasPrefix("database "))

            let down = try await CLI.run(["schema", "down", "--steps", "2"] + target)
            #expect(down.status == 0, "\(down)")
            #expect(
                down.stdout.drop { $0 != "\n" }.dropFirst()  // after the database line
                    == "rolled back 20250104000000_default_settings\nrolled back 20250105000000_create_settings\n"
                    + "2 migration(s) rolled back\n")
            let after = try await CLI.run(["schema", "status"] + target)
            #expect(after.stdout.hasSuffix("4 applied, 2 pending\n"), "\(after)")
            #expect(try await db.value("SELECT to_regclass('settings') IS NULL", as: Bool.self))

            // The migrator sees exactly what the CLI did.
            let history = try await db.query("SELECT version FROM pgfast_migrations ORDER BY id").decode(String.self)
            #expect(history.count == 4)
        }
    }

    @Test func dryRunsPrintThePlanAndItsSQLAndChangeNothing() async throws {
        try await CLIDatabase.with { url, db in
            let target = ["--database-url", url, "--migrations", Self.good]
            let plan = try await CLI.run(["schema", "up", "--dry-run"] + target)
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("-- up 20250101000000_create_users ("))
            #expect(plan.stdout.contains("CREATE TABLE users ("))
            #expect(plan.stdout.contains("CREATE INDEX CONCURRENTLY orders_user_id_idx"))
            #expect(plan.stdout.hasSuffix("-- 6 migration(s) would be applied\n"))
            #expect(
                try await db.value(
                    "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'pgfast_migrations')", as: Int.self) == 0)

            _ = try await CLI.run(["schema", "up", "--target", "20250102000000"] + target)
            let downPlan = try await CLI.run(["schema", "down", "--dry-run", "--steps", "1"] + target)
            #expect(downPlan.status == 0)
            #expect(downPlan.stdout.contains("-- down 20250102000000_create_orders ("))
            #expect(downPlan.stdout.contains("DROP TABLE orders;"))
            #expect(downPlan.stdout.hasSuffix("-- 1 migration(s) would be rolled back\n"))
            #expect(try await db.value("SELECT count(*) FROM pgfast_migrations", as: Int.self) == 3)

            // Templates render as they would run: into --schema.
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            try "CREATE TABLE {{tables.items}} (id int);\n".write(
                to: directory.appending(path: "20250101000000_items_up.sql"), atomically: true, encoding: .utf8)
            let rendered = try await CLI.run(
                ["schema", "up", "--dry-run", "--database-url", url, "--migrations", directory.path, "--schema", "inv"])
            #expect(rendered.stdout.contains("CREATE TABLE \"inv\".\"items\" (id int);"), "\(rendered)")
        }
    }

    @Test func targetAndForce() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appending(path: "good")
        try FileManager.default.copyItem(at: URL(filePath: Self.good), to: copy)
        try await CLIDatabase.with { url, db in
            let target = ["--database-url", url, "--migrations", copy.path]
            let up = try await CLI.run(["schema", "up", "--target", "20250101120000"] + target)
            #expect(up.status == 0)
            // Two applied lines, after the database line.
            #expect(up.stdout.components(separatedBy: "\napplied ").count == 3)

            let file = copy.appending(path: "20250101000000_create_users_up.sql")
            try (try String(contentsOf: file, encoding: .utf8) + "-- edited\n").write(
                to: file, atomically: true, encoding: .utf8)
            let stopped = try await CLI.run(["schema", "up"] + target)
            #expect(stopped.status == 1)
            #expect(stopped.stderr.contains("20250101000000_create_users_up.sql: applied migration(s) changed"))
            #expect(stopped.stderr.contains("HINT: restore the files, or run with force"))
            let verify = try await CLI.run(["schema", "verify"] + target)
            #expect(verify.status == 1)
            #expect(verify.stdout.contains("20250101000000_create_users changed since it was applied"))
            #expect(verify.stderr.contains("1 problem(s) found"))

            let forced = try await CLI.run(["schema", "up", "--force"] + target)
            #expect(forced.status == 0, "\(forced)")
            #expect(try await db.value("SELECT count(*) FROM pgfast_migrations", as: Int.self) == 6)

            let downTo = try await CLI.run(["schema", "down", "--target", "20250103000000"] + target)
            #expect(downTo.status == 0, "\(downTo)")
            #expect(downTo.stdout.hasSuffix("2 migration(s) rolled back\n"))
        }
    }

    @Test func failingMigrationExitsOneNamingFileAndLine() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "CREATE TABLE fine (id int);\n\nSELECT no_such_column\n  FROM fine;\n".write(
            to: directory.appending(path: "20250101000000_broken_up.sql"), atomically: true, encoding: .utf8)
        try await CLIDatabase.with { url, db in
            let result = try await CLI.run(["schema", "up", "--database-url", url, "--migrations", directory.path])
            #expect(result.status == 1)
            #expect(
                result.stderr.hasPrefix(
                    "error: \(directory.path)/20250101000000_broken_up.sql:3: 20250101000000_broken failed (42703): "
                        + "column \"no_such_column\" does not exist"),
                "\(result)")
            #expect(!result.stderr.hasEscapeCodes)
            #expect(try await db.value("SELECT to_regclass('fine') IS NULL", as: Bool.self))
        }
    }

    @Test(arguments: [
        (["schema", "up", "--bogus"], "--bogus"),
        (["schema", "down", "--steps", "0"], "--steps"),
        (["schema", "down", "--steps", "two"], "two"),
        (["schema", "down", "--steps", "1", "--target", "20250101000000"], "--steps or --target"),
        (["schema", "up", "--timeout", "-3"], "--timeout"),
        (["schema", "up", "--timeout", "inf"], "--timeout must be a number of seconds from 0.001"),
        (["schema", "up", "--timeout", "nan"], "--timeout must be a number of seconds from 0.001"),
        (["schema", "up", "--timeout", "1e300"], "--timeout must be a number of seconds from 0.001"),
        (["schema", "up", "--timeout", "0"], "--timeout must be a number of seconds from 0.001"),
        (["schema", "up", "--timeout=-1"], "--timeout must be a number of seconds from 0.001"),
        (["schema", "status", "--timeout", "3000000"], "--timeout must be a number of seconds from 0.001"),
        (["schema", "down", "--timeout", "-inf"], "--timeout"),
        (["schema", "down", "--steps=-1"], "--steps must be 1 or more"),
        (["schema", "down", "--steps", "99999999999999999999"], "--steps"),
        (["schema", "up", "--database-url", "not a url"], "--database-url is not a PostgreSQL URL"),
        (["schema", "deps", "--format", "xml"], "xml"),
        (["schema", "create", "/tmp", "bad name"], "bad name"),
        (["schema", "frobnicate"], "frobnicate"),
        (["server", "url", "--database"], "--database"),
    ])
    func usageErrorsExit64NamingTheOption(arguments: [String], named: String) async throws {
        let result = try await CLI.run(arguments)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains(named), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test func loadErrorsExitOneNamingTheFile() async throws {
        let result = try await CLI.run(
            [
                "schema", "status", "--database-url", "postgresql://nobody@127.0.0.1:1/none", "--migrations",
                CLI.fixture("migrations/cycle"),
            ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cycle/20250101000000_a_up.sql:1: dependency cycle: "))
        let missing = try await CLI.run(["schema", "deps", "--migrations", "/nonexistent/migrations"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: /nonexistent/migrations: migrations directory not found\n")
    }

    @Test func deps() async throws {
        let text = try await CLI.run(["schema", "deps", "--migrations", Self.good])
        #expect(text.status == 0)
        #expect(text.stdout.contains("20250102000000 create_orders\n    depends on 20250101000000 create_users\n"))
        #expect(text.stdout.contains("20250103000000 index_orders_user (no transaction)"))

        let dot = try await CLI.run(["schema", "deps", "--migrations", Self.good, "--format", "dot"])
        #expect(dot.stdout.hasPrefix("digraph migrations {"))
        #expect(dot.stdout.contains("\"20250105000000\" -> \"20250104000000\";"))

        let mermaid = try await CLI.run(["schema", "deps", "--migrations", Self.good, "--format", "mermaid"])
        #expect(mermaid.stdout.hasPrefix("graph LR"))
        #expect(mermaid.stdout.contains("m20250101000000 --> m20250102000000"))
    }

    @Test func environmentPicksDatabaseAndDirectories() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for (folder, version) in [("core", "20250101000000"), ("billing/sql", "20250102000000")] {
            let directory = root.appending(path: folder)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "CREATE TABLE t\(version) (id int);\n".write(
                to: directory.appending(path: "\(version)_t_up.sql"), atomically: true, encoding: .utf8)
        }
        try await CLIDatabase.with { url, db in
            // DATABASE_URL, and PGFAST_MIGRATIONS_DIRS relative to the working directory.
            let result = try await CLI.run(
                ["schema", "up"], environment: ["DATABASE_URL": url, "PGFAST_MIGRATIONS_DIRS": "core:billing/sql"],
                directory: root)
            #expect(result.status == 0, "\(result)")
            #expect(try await db.value("SELECT count(*) FROM pgfast_migrations", as: Int.self) == 2)
        }
    }

    @Test func commandsNameTheirDatabaseWithoutItsPassword() async throws {
        try await CLIDatabase.with { url, _ in
            let config = try DatabaseConfig(url: url)
            for command in ["status", "up", "verify"] {
                let result = try await CLI.run(["schema", command, "--database-url", url, "--migrations", Self.good])
                #expect(result.status == 0, "\(result)")
                let first = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
                #expect(first.hasPrefix("database \(try #require(config.database)), host "), "\(result)")
                #expect(first.hasSuffix("module default"))
            }
        }
        // Printed before connecting, so a refused connection still says where it went; never the password.
        let refused = try await CLI.run([
            "schema", "status", "--database-url", "postgresql://app:s3cret-pw@127.0.0.1:1/orders",
            "--migrations", Self.good,
        ])
        #expect(refused.status == 1)
        #expect(refused.stdout.hasPrefix("database orders, host 127.0.0.1, port 1, user app, module default\n"))
        #expect(!refused.stdout.contains("s3cret-pw") && !refused.stderr.contains("s3cret-pw"))
    }

    @Test func moduleFromEnvironment() async throws {
        try await CLIDatabase.with { url, db in
            let shop = ["--database-url", url, "--migrations", CLI.fixture("sets/shop/migrations")]
            let up = try await CLI.run(["schema", "up"] + shop, environment: ["PGFAST_MODULE": "shop"])
            #expect(up.status == 0, "\(up)")
            #expect(up.stdout.contains("module shop"))
            #expect(
                try await db.value("SELECT count(*) FROM pgfast_migrations WHERE module = 'shop'", as: Int.self) == 3)
            // The environment's module is clean; `--module` wins over it.
            let clean = try await CLI.run(["schema", "status"] + shop, environment: ["PGFAST_MODULE": "shop"])
            #expect(clean.stdout.hasSuffix("3 applied\n"), "\(clean)")
            let other = try await CLI.run(
                ["schema", "status", "--module", "default"] + shop, environment: ["PGFAST_MODULE": "shop"])
            #expect(other.stdout.hasSuffix("3 pending\n"), "\(other)")
        }
    }

    /// The example app's migrations on an isolated database made with the app's module:
    /// the CLI, told the same module, finds nothing to do, as the app's own migrator does.
    @Test func isolatedDatabaseOfAModuleIsCleanForThatModule() async throws {
        let todo = CLI.repositoryRoot.appending(path: "Examples/TodoApp/db/migrations").path
        try await withIsolatedDatabase(migrations: [todo], module: "todo") { db in
            let target = ["--database-url", db.url, "--migrations", todo]
            let status = try await CLI.run(["schema", "status", "--module", "todo"] + target)
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.hasSuffix("\n2 applied\n"), "\(status)")
            let up = try await CLI.run(["schema", "up"] + target, environment: ["PGFAST_MODULE": "todo"])
            #expect(up.stdout.contains("\n0 migration(s) applied"), "\(up)")
            #expect(try await Migrator(database: db.database, directories: [todo], module: "todo").up().isEmpty)
            // Under another module the same database is unmigrated: the trap the module option closes.
            let other = try await CLI.run(["schema", "status"] + target)
            #expect(other.stdout.hasSuffix("\n2 pending\n"), "\(other)")
        }
    }

    @Test func modulesAndSchemasFromOptions() async throws {
        try await CLIDatabase.with { url, db in
            let shop = ["--database-url", url, "--migrations", CLI.fixture("sets/shop/migrations")]
            #expect(try await CLI.run(["schema", "up", "--module", "shop", "--schema", "shop"] + shop).status == 0)
            let status = try await CLI.run(["schema", "status", "--module", "other", "--schema", "shop"] + shop)
            #expect(status.stdout.hasSuffix("3 pending\n"), "\(status)")
            #expect(
                try await db.value("SELECT count(*) FROM shop.pgfast_migrations WHERE module = 'shop'", as: Int.self)
                    == 3)
        }
    }

    @Test func colourOnlyOnATerminal() async throws {
        try await CLIDatabase.with { url, _ in
            let arguments = ["schema", "status", "--database-url", url, "--migrations", Self.good]
            let piped = try await CLI.run(arguments)
            #expect(piped.status == 0)
            #expect(!piped.stdout.hasEscapeCodes)

            // `script` gives the child a pseudo-terminal.
            let command = ([CLI.executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
            let terminal = try await CLI.start(
                URL(filePath: "/usr/bin/script"), ["-qec", command, "/dev/null"],
                environment: CLI.environment(["TERM": "xterm"])
            ).value
            #expect(terminal.status == 0, "\(terminal)")
            #expect(terminal.stdout.contains("\u{1B}[1mversion"))
            #expect(terminal.stdout.contains("\u{1B}[33mpending"))

            let noColor = try await CLI.start(
                URL(filePath: "/usr/bin/script"), ["-qec", command, "/dev/null"],
                environment: CLI.environment(["TERM": "xterm", "NO_COLOR": "1"])
            ).value
            #expect(!noColor.stdout.hasEscapeCodes)
        }
    }
}

/// The README's commands, on the shared workload next to the checkout (skipped where it is absent).
@Suite("pgfast schema: the README workflow")
struct ReadmeWorkflowTests {
    static let workload = CLI.repositoryRoot.deletingLastPathComponent().appending(
        path: "shared/workload/db/migrations")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: workload.path)))
    func upStatusVerifyDownFiftyOnTheWorkload() async throws {
        try await CLIDatabase.with { url, db in
            let environment = ["DATABASE_URL": url, "PGFAST_MIGRATIONS_DIRS": "../shared/workload/db/migrations"]
            func pgfast(_ arguments: String...) async throws -> CLI.Result {
                try await CLI.run(["schema"] + arguments, environment: environment, directory: CLI.repositoryRoot)
            }
            let up = try await pgfast("up")
            #expect(up.status == 0, "\(up)")
            #expect(up.stdout.contains("50 migration(s) applied in "))
            #expect(try await pgfast("status").stdout.hasSuffix("\n50 applied\n"))
            #expect(try await pgfast("verify").status == 0)
            let down = try await pgfast("down", "--steps", "50")
            #expect(down.status == 0, "\(down)")
            #expect(down.stdout.hasSuffix("50 migration(s) rolled back\n"))
            #expect(try await pgfast("status").stdout.hasSuffix("\n50 pending\n"))
            let tables = try await db.value(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgfast_migrations'",
                as: Int.self)
            #expect(tables == 0)
        }
    }
}

@Suite("pgfast schema: the migration lock")
struct LockTimeoutCommandTests {
    @Test func timeoutWhileAnotherMigratorHoldsTheLock() async throws {
        try await CLIDatabase.with { url, db in
            // Another migrator of module "default" in schema public, holding its advisory lock.
            try await db.withConnection { holder in
                try await holder.execute(
                    "SELECT pg_advisory_lock(\(Migrator.lockClass), \(Migrator.lockKey(schema: "public", module: "default")))"
                )
                let result = try await CLI.run(
                    [
                        "schema", "up", "--timeout", "0.3", "--database-url", url, "--migrations",
                        SchemaCommandTests.good,
                    ])
                #expect(result.status == 1, "\(result)")
                #expect(
                    result.stderr.contains("another migrator of module \"default\" held the lock for more than 300ms"))
                #expect(result.stderr.contains("HINT: wait for it to finish, or raise the timeout (--timeout)"))
                try await holder.execute(
                    "SELECT pg_advisory_unlock(\(Migrator.lockClass), \(Migrator.lockKey(schema: "public", module: "default")))"
                )
            }
            #expect(
                try await CLI.run(["schema", "up", "--database-url", url, "--migrations", SchemaCommandTests.good])
                    .status == 0)
        }
    }
}
