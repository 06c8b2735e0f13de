import Foundation
import Logging
import PGFast
import PGFastTesting
import Synchronization
import Testing

/// No password reaches any output: one password fed through every input form and every
/// failure we can provoke, searched in every way the library and the CLI show things.
@Suite("Secrets stay out of every output")
struct SecretRedactionTests {
    /// The role's real password: a space and a quote, so quoting and escaping matter.
    static let password = "s3cr3tXq Pa'ss"
    /// A wrong password, for authentication failures (and the unquoted conninfo form).
    static let wrongPassword = "s3cr3tXqWrong"
    /// What no output may contain: the shared prefix of both, and their distinctive tails.
    static let needles = ["s3cr3tXq", "Pa'ss", "Pa%27ss", "XqWrong"]
    static let role = "pgfast_secret_probe"

    /// Everything a value shows: `description`, `debugDescription`, `String(reflecting:)`,
    /// `dump` and `Mirror` children (recursively through `dump`).
    static func everythingShown(_ value: Any) -> String {
        var dumped = ""
        dump(value, to: &dumped)
        let mirror = Mirror(reflecting: value).children.map { "\($0.label ?? ""): \($0.value)" }
        var shown = [String(describing: value), String(reflecting: value), dumped] + mirror
        if let error = value as? Error { shown.append(error.localizedDescription) }
        if let error = value as? PostgresError { shown.append(error.debugDescription) }
        return shown.joined(separator: "\n")
    }

    static func expectNoSecret(
        _ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for needle in needles {
            #expect(!text.contains(needle), "\(what) shows a password: \(text)", sourceLocation: sourceLocation)
        }
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// Conninfo quoting: `'…'` with `\'` and `\\` escaped.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// A role with the password that must authenticate by password over TCP: a line for
    /// it goes first in the embedded server's pg_hba.conf (the others trust loopback).
    /// Returns false when the server's files cannot be changed (an external server).
    static func passwordRole(admin: Connection, port: Int) async throws -> Bool {
        let literal = "'" + password.replacingOccurrences(of: "'", with: "''") + "'"
        let exists = try await admin.value("SELECT count(*) FROM pg_roles WHERE rolname = \(role)", as: Int.self)
        try await admin.execute(
            script: "\(exists == 0 ? "CREATE" : "ALTER") ROLE \(role) LOGIN PASSWORD \(literal)")
        let hbaFile = try await admin.value("SHOW hba_file", as: String.self)
        let line = "host all \(role) 127.0.0.1/32 scram-sha-256\n"
        guard let current = try? String(contentsOfFile: hbaFile, encoding: .utf8) else { return false }
        if !current.contains(line) {
            do {
                try (line + current).write(toFile: hbaFile, atomically: false, encoding: .utf8)
            } catch {
                return false
            }
            try await admin.execute(script: "SELECT pg_reload_conf()")
        }
        // The postmaster reloads asynchronously: wait until a wrong password is refused.
        var wrong = try DatabaseConfig(url: "postgresql://\(role):\(wrongPassword)@127.0.0.1:\(port)/postgres")
        wrong.connectTimeout = .seconds(20)
        for _ in 0..<100 {
            guard let connection = try? await Connection.connect(wrong) else { return true }
            await connection.close()
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func aPasswordThroughEveryFormAndFailureNeverShows() async throws {
        let server = try await EmbeddedServer.shared()
        let admin = try await Connection.connect(try DatabaseConfig(url: server.socketURL))
        defer { Task { await admin.close() } }
        let hasPasswordAuth = try await Self.passwordRole(admin: admin, port: server.port)
        let host = "127.0.0.1"
        let port = server.port
        // A database the role owns, so it can create the migrator's history table.
        let database = Self.role
        if try await admin.value("SELECT count(*) FROM pg_database WHERE datname = \(database)", as: Int.self) == 0 {
            try await admin.execute("CREATE DATABASE \(identifier: database) OWNER \(identifier: Self.role)")
        }

        // Every input form, the right password or the wrong one.
        let forms: [(name: String, text: String)] = [
            ("URL user info", "postgresql://\(Self.role):\(Self.encoded(Self.password))@\(host):\(port)/\(database)"),
            (
                "URL password parameter",
                "postgresql://\(Self.role)@\(host):\(port)/\(database)?password=\(Self.encoded(Self.password))"
            ),
            (
                "quoted conninfo",
                "host=\(host) port=\(port) dbname=\(database) user=\(Self.role) password=\(Self.quoted(Self.password))"
            ),
            (
                "unquoted conninfo",
                "host=\(host) port=\(port) dbname=\(database) user=\(Self.role) password=\(Self.wrongPassword)"
            ),
            ("wrong password in URL", "postgresql://\(Self.role):\(Self.wrongPassword)@\(host):\(port)/\(database)"),
            ("refused connection", "postgresql://\(Self.role):\(Self.encoded(Self.password))@\(host):1/\(database)"),
        ]
        let logs = RecordedLogs()
        let logger = Logger(label: "secrets") { _ in RecordedLogs.Handler(logs: logs) }
        var authenticated = 0
        for form in forms {
            var config = try DatabaseConfig(url: form.text)
            Self.expectNoSecret(Self.everythingShown(config), "DatabaseConfig from \(form.name)")
            Self.expectNoSecret(DatabaseConfig.redacted(form.text), "redacted \(form.name)")
            config.connectTimeout = .seconds(20)  // a loaded machine; nothing here is unreachable
            config.slowQueryThreshold = .nanoseconds(1)  // every statement logged, with its text
            config.minConnections = 1
            config.maxConnections = 1
            do {
                let connection = try await Connection.connect(config, logger: logger)
                authenticated += 1
                try await connection.execute(script: "DO $$ BEGIN RAISE NOTICE 'connected'; END $$")
                // A failed query whose binds hold the password: hidden from all but the explicit call.
                let error = await #expect(throws: PostgresError.self) {
                    try await connection.query("SELECT \(Self.password)::int, \(config.description)")
                }
                if let error {
                    Self.expectNoSecret(Self.everythingShown(error), "failed query of \(form.name)")
                    #expect(error.description(includingBindValues: true).contains(Self.password))
                }
                await connection.close()
            } catch {
                Self.expectNoSecret(Self.everythingShown(error), "connect error of \(form.name)")
            }
            do {
                try await Database.connect(config, logger: logger) { db in
                    // A failed migration on a pool whose config holds the password.
                    let directory = try temporaryDirectory()
                    defer { try? FileManager.default.removeItem(at: directory) }
                    try "SELECT no_such_column FROM pg_class;\n".write(
                        to: directory.appending(path: "20250101000000_broken_up.sql"), atomically: true,
                        encoding: .utf8)
                    let migrator = Migrator(database: db, directories: [directory.path], module: "secrets")
                    let failure = await #expect(throws: (any Error).self) { try await migrator.up() }
                    if let failure { Self.expectNoSecret(Self.everythingShown(failure), "failed migration") }
                    Self.expectNoSecret(Self.everythingShown(db), "Database of \(form.name)")
                }
            } catch {
                Self.expectNoSecret(Self.everythingShown(error), "pool error of \(form.name)")
            }
        }
        if hasPasswordAuth {
            // The three right-password forms authenticated; the wrong and refused ones did not.
            #expect(authenticated == 3)
        }

        // Malformed input: libpq's reasons quote what they stumbled on.
        let malformed = [
            "postgresql://\(Self.role):\(Self.password)@\(host):\(port)/\(database)",  // unencoded space
            "postgresql://\(Self.role)@\(host)/\(database)?password=\(Self.password)",
            "postgresql://\(Self.role)@\(host)/\(database)?password=s3cr3tXq%zz",
            "postgresql://\(Self.role):s3cr3tXq@\(host):notaport/\(database)?bogus=1",
            "host=\(host) password=\(Self.quoted(Self.password)) bogus_option=1",
            "host=\(host) password='s3cr3tXq Pa",
            "host=\(host) password=s3cr3tXq Pa'ss user=x",
            "password = 's3cr3tXq Pa\\'ss' = host",
        ]
        for text in malformed {
            Self.expectNoSecret(DatabaseConfig.redacted(text), "redacted malformed input")
            do {
                var config = try DatabaseConfig(url: text)
                Self.expectNoSecret(Self.everythingShown(config), "config of malformed input")
                config.connectTimeout = .seconds(20)  // a loaded machine; nothing here is unreachable
                let connection = try await Connection.connect(config, logger: logger)
                await connection.close()
            } catch {
                Self.expectNoSecret(Self.everythingShown(error), "error for malformed input \(text)")
            }
            do {
                _ = try DatabaseConfig.fromEnvironment(["DATABASE_URL": text])
            } catch {
                Self.expectNoSecret(Self.everythingShown(error), "DATABASE_URL error")
            }
        }
        Self.expectNoSecret(logs.text, "trace-level logs")
        #expect(!logs.text.isEmpty)  // the handler did see the failures

        // The CLI: stdout and stderr of usage errors, connection and migration failures.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT no_such_column FROM pg_class;\n".write(
            to: directory.appending(path: "20250101000000_broken_up.sql"), atomically: true, encoding: .utf8)
        let withoutPassword = "postgresql://\(Self.role)@\(host):\(port)/\(database)"
        let runs: [(arguments: [String], environment: [String: String])] =
            // Each run fails: a usage error, or the broken migration (discovery from the
            // working directory would find the repository's example app, which migrates fine).
            malformed.map { (["schema", "up", "--database-url", $0, "--migrations", directory.path], [:]) }
            + forms.map { (["schema", "up", "--database-url", $0.text, "--migrations", directory.path], [:]) }
            + [
                (
                    ["schema", "up", "--database-url", withoutPassword, "--migrations", directory.path],
                    ["PGPASSWORD": Self.password]
                ),
                (
                    ["schema", "status", "--database-url", withoutPassword, "--migrations", directory.path],
                    ["PGPASSWORD": Self.wrongPassword]
                ),
                (["schema", "up", "--migrations", directory.path], ["DATABASE_URL": forms[0].text]),
                (["schema", "up", "--migrations", directory.path], ["DATABASE_URL": malformed[0]]),
            ]
        var exits: [Int32] = []
        for run in runs {
            let result = try await CLI.run(run.arguments + ["--timeout", "5"], environment: run.environment)
            exits.append(result.status)
            Self.expectNoSecret(result.stdout + result.stderr, "pgfast \(run.arguments.first ?? "")")
        }
        #expect(exits.allSatisfy { $0 != 0 })
        #expect(exits.prefix(malformed.count).contains(64))
    }
}

/// Log lines with their metadata, as a trace-level handler sees them.
final class RecordedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let logs: RecordedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
            file: String, function: String, line: UInt
        ) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            logs.lines.withLock { $0.append("\(level) \(message) \(all)") }
        }
    }
}
