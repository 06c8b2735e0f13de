import Foundation
import PGFast
import PGFastTesting
import Testing

/// Runs the built `pgfast` executable as a user would: a child process, output captured.
enum CLI {
    /// `pgfast` next to the test bundle in the build products directory (`swift build
    /// --build-tests` builds it with the tests), else `.build/debug/pgfast` of this checkout.
    static let executable: URL = {
        var candidates: [URL] = []
        if let main = Bundle.main.executableURL {
            candidates.append(main.deletingLastPathComponent().appending(path: "pgfast"))
        }
        let argument0 = URL(filePath: ProcessInfo.processInfo.arguments[0]).standardizedFileURL
        candidates.append(argument0.deletingLastPathComponent().appending(path: "pgfast"))
        candidates.append(repositoryRoot.appending(path: ".build/debug/pgfast"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    static let repositoryRoot = URL(filePath: #filePath)
        .deletingLastPathComponent()  // PGFastCLITests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func fixture(_ relativePath: String) -> String {
        repositoryRoot.appending(path: "fixtures/\(relativePath)").path
    }

    struct Result: Sendable, CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// The environment children get: this one without the variables that would pick a
    /// database or migrations behind the test's back, plus `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["DATABASE_URL", "PGFAST_MIGRATIONS_DIRS", "PGFAST_FIXTURES_DIRS", "PGFAST_MODULE", "NO_COLOR"] {
            environment[key] = nil
        }
        environment.merge(extra) { $1 }
        return environment
    }

    /// Runs `pgfast arguments…` to completion.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], directory: URL? = nil)
        async throws -> Result
    {
        try await start(arguments, environment: extra, directory: directory).value
    }

    /// Starts `pgfast arguments…`; the task's value is its result. Several can run at once.
    static func start(_ arguments: [String], environment extra: [String: String] = [:], directory: URL? = nil)
        throws -> Task<Result, Never>
    {
        try start(executable, arguments, environment: environment(extra), directory: directory)
    }

    /// Starts any executable, waiting for it on a thread of its own (never the cooperative pool).
    ///
    /// Its output goes to files, not pipes: a pipe is read until every writer has closed it,
    /// and a daemon started meanwhile by another test (a PgBouncer, a postmaster) can inherit
    /// its write end and keep it open for the rest of the run.
    static func start(
        _ executable: URL, _ arguments: [String], environment: [String: String], directory: URL? = nil
    ) throws -> Task<Result, Never> {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = directory }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-cli-\(UUID().uuidString)")
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
        let box = ProcessBox(process: process, out: out, err: err)
        return Task {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: box.wait()) }
            }
        }
    }

    /// A started child and the files its output goes to.
    final class ProcessBox: @unchecked Sendable {
        // Safe: after `run()` only `wait()` touches these, once, on one thread.
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
}

/// A fresh database on the test server for one CLI test, dropped afterwards.
enum CLIDatabase {
    static func adminConfig() async throws -> DatabaseConfig {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            return try DatabaseConfig(url: url)
        }
        return try DatabaseConfig(url: try await EmbeddedServer.shared().socketURL)
    }

    /// Runs `body` with the URL of a new database (and a handle on it).
    static func with<R>(_ body: (_ url: String, _ db: Database) async throws -> R) async throws -> R {
        let admin = try await adminConfig()
        let name = "pgfast_cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await Connection.connect(admin)
        try await connection.execute("CREATE DATABASE \(identifier: name)")
        var config = admin
        config.database = name
        config.maxConnections = 2
        let url = try await url(for: name)
        let db = try await Database.connect(config)
        do {
            let result = try await body(url, db)
            await db.close()
            try await connection.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
            await connection.close()
            return result
        } catch {
            await db.close()
            _ = try? await connection.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
            await connection.close()
            throw error
        }
    }

    /// A `postgresql://` URL for `database` on the test server.
    static func url(for database: String) async throws -> String {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            var components = try #require(URLComponents(string: url))
            components.path = "/" + database
            return try #require(components.string)
        }
        return try await EmbeddedServer.shared().url(database: database)
    }
}

extension String {
    /// Whether the text holds an ANSI escape sequence (colour).
    var hasEscapeCodes: Bool { contains("\u{1B}[") }
}

/// A fresh empty directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appending(path: "pgfast-cli-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
