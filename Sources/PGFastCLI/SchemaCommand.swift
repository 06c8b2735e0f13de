import ArgumentParser
import Foundation
import PGFast
import PGFastTesting

/// `pgfast schema create|up|down|status|deps|verify`: SQL-file migrations.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Create, apply, roll back and inspect SQL-file migrations.",
        subcommands: [Create.self, Up.self, Down.self, Status.self, Deps.self, Verify.self, Convert.self]
    )

    /// Where the migrations are and which database they go to.
    struct Target: ParsableArguments {
        @Option(
            name: .customLong("database-url"), help: "The database (default: DATABASE_URL, else the embedded server).")
        var databaseURL: String?

        @Option(
            name: .customLong("migrations"),
            help: "A migrations directory (repeatable; default: PGFAST_MIGRATIONS_DIRS, else every **/migrations).")
        var directories: [String] = []

        @Option(
            help: """
                The migrations' layout when detection cannot tell: pgfast, pgdbm, golang-migrate, sqlx, dbmate, \
                goose, diesel, flyway (default: detected; a directory's .pgfast-layout file names it too).
                """)
        var layout: String?

        @Option(
            help:
                "The module whose history to use (several can share a database; default: PGFAST_MODULE, else default).")
        var module: String?

        @Option(help: "The schema migrations run in ({{tables.x}} renders into it).")
        var schema: String?

        @Option(help: "Seconds to wait for another migrator's lock.")
        var timeout: Double?

        /// The environment variable naming the module when `--module` is not given.
        static let moduleEnvironmentKey = "PGFAST_MODULE"

        /// `--module`, else `PGFAST_MODULE`, else `default`.
        var effectiveModule: String {
            if let module { return module }
            let fromEnvironment = ProcessInfo.processInfo.environment[Self.moduleEnvironmentKey] ?? ""
            return fromEnvironment.isEmpty ? "default" : fromEnvironment
        }

        func validate() throws {
            if let layout, MigrationSet.Style(name: layout) == nil {
                throw ValidationError(
                    "--layout '\(layout)' is not a layout; use one of "
                        + MigrationSet.Style.all.map(\.description).joined(separator: ", "))
            }
            if let module, module.isEmpty { throw ValidationError("--module must not be empty") }
            if let timeout { try NumericOption.checkSeconds(timeout, option: "--timeout") }
            if let databaseURL {
                do {
                    _ = try DatabaseConfig(url: databaseURL)
                } catch {
                    // The error shows the URL redacted; the raw text may hold a password.
                    throw ValidationError("--database-url is not a PostgreSQL URL or conninfo string: \(error)")
                }
            }
        }

        func loadMigrations() throws -> MigrationSet {
            let style = layout.flatMap(MigrationSet.Style.init(name:))
            if !directories.isEmpty {
                return try MigrationSet.load(directories: directories.map { URL(fileURLWithPath: $0) }, layout: style)
            }
            let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            return try MigrationSet.load(
                directories: MigrationSet.migrationDirectories(
                    projectRoot: root, environment: ProcessInfo.processInfo.environment),
                layout: style)
        }

        /// Opens the database and runs `body` with a migrator on it.
        func withMigrator<R>(_ body: (Migrator) async throws -> R) async throws -> R {
            let set = try loadMigrations()
            var config: DatabaseConfig
            if let databaseURL {
                config = try DatabaseConfig(url: databaseURL)
            } else if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
                config = try DatabaseConfig.fromEnvironment()
            } else {
                config = try DatabaseConfig(url: try await EmbeddedServer.shared().socketURL)
            }
            config.minConnections = 1
            config.maxConnections = 2
            print(Printer.target(config, module: effectiveModule, schema: schema))
            return try await Database.connect(config, schema: schema) { db in
                var migrator = Migrator(database: db, migrations: set, module: effectiveModule)
                if let timeout { migrator.lockTimeout = NumericOption.duration(seconds: timeout) }
                return try await body(migrator)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new {version}_{name}_up.sql and _down.sql pair from templates/.",
            discussion: """
                The version is the current UTC time (YYYYMMDDHHMMSS), moved on by a second when the \
                directory already has that version or a later one, so the new migration sorts last. \
                The text comes from up.sql and down.sql in --templates (default: ./templates when it \
                has them, else the built-in copies of PGFast's templates/); {{version}} and {{name}} \
                are filled in.
                """)

        @Argument(help: "The migrations directory (created if missing).")
        var directory: String

        @Argument(help: "The migration's name (letters, digits, underscores).")
        var name: String

        @Option(help: "A directory with up.sql and down.sql templates (default: ./templates, else built in).")
        var templates: String?

        func validate() throws {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ValidationError("<name> '\(name)' must be letters, digits and underscores")
            }
            if let templates, !FileManager.default.fileExists(atPath: templates + "/up.sql") {
                throw ValidationError("--templates '\(templates)' has no up.sql")
            }
        }

        func run() async throws {
            let folder = URL(fileURLWithPath: directory)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // A PGFast pair among another tool's files would make the directory unreadable (mixed layouts).
            if let existing = try? MigrationSet.load(directories: [folder]), existing.style != .pgfast,
                !existing.migrations.isEmpty
            {
                throw CommandFailure(
                    message: "\(directory) holds \(existing.style) migrations; pgfast schema create writes PGFast's "
                        + "layout, and one directory holds one layout. Add the migration with \(existing.style), "
                        + "or move over with: pgfast schema convert --to pgfast \(directory) <new directory>")
            }
            let version = Self.version(after: Self.latestVersion(in: folder))
            for kind in ["up", "down"] {
                let file = folder.appendingPathComponent("\(version)_\(name)_\(kind).sql")
                guard !FileManager.default.fileExists(atPath: file.path) else {
                    throw CommandFailure(message: "\(file.path) already exists")
                }
                let text = try Templates.text(kind, directory: templates)
                    .replacingOccurrences(of: "{{version}}", with: version)
                    .replacingOccurrences(of: "{{name}}", with: name)
                try text.write(to: file, atomically: true, encoding: .utf8)
                print("created \(file.path)")
            }
        }

        /// The highest 14-digit version among the files of `folder` (subfolders included).
        static func latestVersion(in folder: URL) -> String? {
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
            return files.compactMap { path -> String? in
                let digits = (path as NSString).lastPathComponent.prefix { $0.isASCII && $0.isNumber }
                return digits.count == 14 ? String(digits) : nil
            }.max()
        }

        /// Now in UTC as YYYYMMDDHHMMSS, or one second after `latest` when that is not earlier.
        static func version(after latest: String?, now: Date = Date()) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMddHHmmss"
            var date = now
            if let latest, let last = formatter.date(from: latest), last >= date.addingTimeInterval(-0.999) {
                date = last.addingTimeInterval(1)
            }
            return formatter.string(from: date)
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations.")

        @OptionGroup var target: Target

        @Option(name: .customLong("target"), help: "Stop after this version.")
        var version: String?

        @Flag(name: .customLong("dry-run"), help: "Print the plan and its SQL; change nothing.")
        var dryRun = false

        @Flag(help: "Skip the check for applied files that changed.")
        var force = false

        func run() async throws {
            try await target.withMigrator { migrator in
                if dryRun {
                    let plan = try await migrator.plan(to: version, force: force)
                    Printer.plan(plan, direction: "up", database: migrator.database)
                    return
                }
                let started = ContinuousClock.now
                let applied = try await migrator.up(to: version, force: force)
                for migration in applied { print("applied \(migration.displayName)") }
                print(
                    "\(applied.count) migration(s) applied in \(Printer.milliseconds(ContinuousClock.now - started))")
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Roll back applied migrations, newest first.")

        @OptionGroup var target: Target

        @Option(help: "How many migrations to roll back (default 1).")
        var steps: Int?

        @Option(name: .customLong("target"), help: "Roll back everything applied after this version.")
        var version: String?

        @Flag(name: .customLong("dry-run"), help: "Print what would be rolled back and its SQL; change nothing.")
        var dryRun = false

        func validate() throws {
            if steps != nil && version != nil { throw ValidationError("use --steps or --target, not both") }
            if let steps { try NumericOption.checkCount(steps, option: "--steps") }
        }

        func run() async throws {
            try await target.withMigrator { migrator in
                if dryRun {
                    Printer.plan(
                        try await migrator.downPlan(steps: steps, to: version), direction: "down",
                        database: migrator.database)
                    return
                }
                let rolledBack: [Migration]
                if let version {
                    rolledBack = try await migrator.down(to: version)
                } else {
                    rolledBack = try await migrator.down(steps: steps ?? 1)
                }
                for migration in rolledBack { print("rolled back \(migration.displayName)") }
                print("\(rolledBack.count) migration(s) rolled back")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show applied, pending, changed and missing migrations.")

        @OptionGroup var target: Target

        func run() async throws {
            let entries = try await target.withMigrator { try await $0.status() }
            let formatter = ISO8601DateFormatter()
            let rows = entries.map { entry in
                [
                    entry.version, entry.name, entry.state.description,
                    entry.appliedAt.map { formatter.string(from: $0) } ?? "-",
                    entry.duration.map(Printer.milliseconds) ?? "-",
                ]
            }
            print(
                Terminal.table(
                    ["version", "name", "state", "applied at", "took"], rows,
                    colors: [
                        (
                            2,
                            { state in
                                switch state {
                                case "applied": .green
                                case "pending": .yellow
                                default: .red
                                }
                            }
                        )
                    ]))
            let counts = Dictionary(grouping: entries, by: \.state.description).mapValues(\.count)
            print(counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
    }

    struct Deps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the dependency graph.")

        @Option(
            name: .customLong("migrations"),
            help: "A migrations directory (repeatable; default: PGFAST_MIGRATIONS_DIRS, else every **/migrations).")
        var directories: [String] = []

        @Option(help: "The migrations' layout when detection cannot tell (see pgfast schema up --help).")
        var layout: String?

        @Option(help: "text, dot (Graphviz) or mermaid.")
        var format: MigrationSet.GraphFormat = .text

        func run() async throws {
            let target = try Target.parse(
                directories.flatMap { ["--migrations", $0] } + (layout.map { ["--layout", $0] } ?? []))
            print(try target.loadMigrations().dependencyGraph(format: format))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check applied migrations against their files (exit status 1 on a mismatch).")

        @OptionGroup var target: Target

        func run() async throws {
            let problems = try await target.withMigrator { try await $0.verify() }
            guard !problems.isEmpty else {
                print(Terminal.paint("ok", .green) + ": every applied migration matches its file")
                return
            }
            for problem in problems { print(Terminal.paint(problem.description, .red)) }
            throw CommandFailure(message: "\(problems.count) problem(s) found")
        }
    }
}

extension MigrationSet.GraphFormat: ExpressibleByArgument {}

/// Dry-run output: each migration and the SQL it would run.
enum Printer {
    /// The line naming the database a command works on (never its password), so output
    /// from several environments cannot be mistaken for one another.
    static func target(_ config: DatabaseConfig, module: String, schema: String?) -> String {
        var parts = ["database \(config.database ?? "-")", "host \(config.host ?? "-")"]
        if let port = config.port { parts.append("port \(port)") }
        if let user = config.user { parts.append("user \(user)") }
        parts.append("module \(module)")
        if let schema { parts.append("schema \(schema)") }
        return parts.joined(separator: ", ")
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1fms", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }

    /// Each file with `{{tables.x}}` rendered as it would run on `database`.
    static func plan(_ migrations: [Migration], direction: String, database: Database) {
        guard !migrations.isEmpty else {
            print("nothing to do")
            return
        }
        for migration in migrations {
            let file = direction == "up" ? migration.upFile : migration.downFile!
            print(Terminal.paint("-- \(direction) \(migration.displayName) (\(file.path))", .bold))
            print(database.render((try? String(contentsOf: file, encoding: .utf8)) ?? ""))
        }
        print("-- \(migrations.count) migration(s) would be \(direction == "up" ? "applied" : "rolled back")")
    }
}

/// What `schema create` writes: `templates/up.sql` and `templates/down.sql` of the
/// project when it has them, else built-in copies of PGFast's `templates/` (a test
/// keeps them equal), so the command works anywhere.
enum Templates {
    static func text(_ kind: String, directory: String?) throws -> String {
        let folder = directory ?? "templates"
        let file = URL(fileURLWithPath: folder).appendingPathComponent("\(kind).sql")
        if FileManager.default.fileExists(atPath: file.path) {
            do {
                return try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw CommandFailure(message: "\(file.path): cannot read the template: \(error)")
            }
        }
        return kind == "up" ? up : down
    }

    static let up = """
        -- Migration {{version}} {{name}}: applied by `pgfast schema up`, in one transaction with its history row.
        -- To run it after other migrations, add a comment line of the form "depends_on: <version>, <version>".
        -- For statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY), add "pgfast:no-transaction".
        -- {{tables.users}} renders as the module schema's "schema"."users".


        """

    static let down = """
        -- Undoes migration {{version}} {{name}} (`pgfast schema down`), in one transaction.


        """
}
