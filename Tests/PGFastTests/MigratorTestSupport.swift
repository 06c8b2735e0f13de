import Foundation
import PGFast
import Testing

/// A fresh database for one migrator test: its configuration, a conninfo string for
/// other tools (`pg_dump`, `psql`, the `pgfast` binary), and handles on it.
struct MigratorDatabase: Sendable {
    let config: DatabaseConfig
    /// The unscoped handle (no schema: `{{tables.x}}` renders unqualified).
    let db: Database

    /// A libpq conninfo string (`key='value' …`) for this database.
    var conninfo: String { MigratorDatabase.conninfo(config) }

    static func conninfo(_ config: DatabaseConfig) -> String {
        config.parameters.map { key, value in
            "\(key)='" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                + "'"
        }.joined(separator: " ")
    }

    /// Runs `body` on a database created for it (dropped afterwards).
    static func with<R>(_ body: (MigratorDatabase) async throws -> R) async throws -> R {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.minConnections = 1
            config.maxConnections = 6
            return try await Database.connect(config) { db in
                try await body(MigratorDatabase(config: config, db: db))
            }
        }
    }

    /// A migrator over fixture directories (`fixtures/migrations/<name>`) or absolute URLs.
    func migrator(_ fixtures: String..., schema: String? = nil, module: String = "default") -> Migrator {
        migrator(urls: fixtures.map { TestFixtures.url("migrations/\($0)") }, schema: schema, module: module)
    }

    func migrator(urls: [URL], schema: String? = nil, module: String = "default") -> Migrator {
        Migrator(
            database: schema.map { db.scoped(to: $0) } ?? db, directories: urls.map(\.path), module: module)
    }

    /// Every user-visible object of the database, one line each, sorted: what a failed
    /// migration must leave as it found it.
    func catalog() async throws -> [String] {
        try await db.query(
            """
            SELECT 'schema ' || nspname FROM pg_namespace
             WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
            UNION ALL
            SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            UNION ALL
            SELECT 'function ' || n.nspname || '.' || p.proname FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            UNION ALL
            SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_type t
              JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            ORDER BY 1
            """
        ).decode(String.self)
    }

    /// The history rows of `module` as `version name`, in order of application.
    func history(module: String = "default", schema: String? = nil) async throws -> [String] {
        let table = schema.map { SQL.quoteIdentifier($0) + ".pgfast_migrations" } ?? "pgfast_migrations"
        return try await db.query(
            "SELECT version || ' ' || name FROM \(unsafeRaw: table) WHERE module = \(module) AND version <> '' ORDER BY id"
        ).decode(String.self)
    }

    /// `pg_dump --schema-only` of the database, without the lines that differ from run to run.
    func schemaDump() async throws -> String {
        let result = try Subprocess.run(
            try await TestServer.program("pg_dump"), ["--schema-only", "--no-owner", "-d", conninfo])
        #expect(result.status == 0, "pg_dump failed: \(result.stderr)")
        // pg_dump 15.14+ guards the output with a random \restrict key.
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }
}

extension MigratorDatabase {
    /// The lines only in `old` (`-`) or only in `new` (`+`), for readable failure messages.
    static func lineDifferences(_ old: String, _ new: String) -> [String] {
        let oldLines = old.split(separator: "\n").map(String.init)
        let newLines = new.split(separator: "\n").map(String.init)
        return oldLines.filter { !newLines.contains($0) }.map { "- " + $0 }
            + newLines.filter { !oldLines.contains($0) }.map { "+ " + $0 }
    }
}

/// A child process run to completion, its output captured.
enum Subprocess {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` (a path, or a name looked up in PATH) with `arguments`.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        directory: URL? = nil
    ) throws -> Result {
        let process = try start(executable, arguments, environment: environment, directory: directory)
        return process.wait()
    }

    /// A started child process; ``Running/wait()`` collects its output.
    final class Running: @unchecked Sendable {
        // Safe: `process` and the files are only touched by `wait()`, called once by the owner.
        let process: Process
        let out: URL
        let err: URL

        init(process: Process, out: URL, err: URL) {
            self.process = process
            self.out = out
            self.err = err
        }

        func wait() -> Result {
            process.waitUntilExit()
            defer { for file in [out, err] { try? FileManager.default.removeItem(at: file) } }
            return Result(
                status: process.terminationStatus,
                stdout: String(decoding: FileManager.default.contents(atPath: out.path) ?? Data(), as: UTF8.self),
                stderr: String(decoding: FileManager.default.contents(atPath: err.path) ?? Data(), as: UTF8.self))
        }
    }

    /// Output goes to files, not pipes: a daemon another test starts meanwhile (a PgBouncer,
    /// a postmaster) can inherit a pipe's write end, and a reader would wait for it to exit.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        directory: URL? = nil
    ) throws -> Running {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(filePath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(filePath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-run-\(UUID().uuidString)")
        let out = base.appendingPathExtension("out")
        let err = base.appendingPathExtension("err")
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? outHandle.close()
        try? errHandle.close()
        return Running(process: process, out: out, err: err)
    }
}

extension TestFixtures {
    /// A temporary copy of `fixtures/migrations/<name>`, for tests that edit or delete files.
    static func copyOfMigrations(_ name: String) throws -> URL {
        let directory = try temporaryDirectory()
        let copy = directory.appending(path: name)
        try FileManager.default.copyItem(at: url("migrations/\(name)"), to: copy)
        return copy
    }
}

extension TestFixtures {
    /// A set whose migrations fail when run twice (plain CREATE TABLE), each recording
    /// its version in `runs`: for concurrent migrators, which must apply each once.
    static func countingMigrations(_ count: Int) throws -> URL {
        let directory = try temporaryDirectory()
        var files = [
            "20250101000000_runs_up.sql": "CREATE TABLE runs (version text NOT NULL);\n"
                + "INSERT INTO runs VALUES ('20250101000000');\n"
        ]
        for index in 1..<count {
            let version = String(format: "202501010%05d", index)
            files["\(version)_step\(index)_up.sql"] =
                "CREATE TABLE step\(index) (id int);\nINSERT INTO runs VALUES ('\(version)');\n"
                + "SELECT pg_sleep(0.01);\n"
        }
        try write(files, in: directory)
        return directory
    }
}
