import Foundation
import Testing

@testable import PGFast
@testable import PGFastTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A PgBouncer in transaction mode in front of the tests' server (`TEST_DATABASE_URL`,
/// else the embedded server), started by the tests themselves on a free loopback port
/// (`pool_mode = transaction`; clients are trusted, the server gets the URL's password
/// from the userlist). One per server, reused across test processes: its directory (in
/// the embedded server's, else in the temporary directory) holds the ini, userlist, log,
/// pid file and port.
enum PgBouncer {
    /// The `pgbouncer` program: on `PATH`, else where Debian installs it.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { $0 + "/pgbouncer" } + ["/usr/sbin/pgbouncer"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isInstalled: Bool { executable != nil }

    /// Why the suite is skipped, for the skip message.
    static let missingReason = "no pgbouncer program on PATH or in /usr/sbin (apt-get install pgbouncer)"

    /// A running bouncer's port; started (or found running) once per process.
    static func port() async throws -> Int {
        try await started.value
    }

    /// The configuration of `database` through the bouncer.
    static func config(database: String) async throws -> DatabaseConfig {
        let target = try await Target.current()
        var config = try DatabaseConfig(
            url: "postgresql://\(target.user)@127.0.0.1:\(try await port())/\(database)")
        config.minConnections = 1
        config.maxConnections = 4
        return config
    }

    private static let started = Task { try await startOrReuse() }

    private static func startOrReuse() async throws -> Int {
        guard let executable else { throw BouncerError(message: missingReason) }
        let target = try await Target.current()
        let directory = target.directory
        let portFile = directory + "/port"
        if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text),
            await answers(port: port, user: target.user)
        {
            return port
        }
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try EmbeddedServer.LoopbackPort.free()
        let ini = """
            [databases]
            * = host=\(target.host) port=\(target.port)

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory)/userlist.txt
            pool_mode = transaction
            default_pool_size = 4
            max_client_conn = 500
            ignore_startup_parameters = extra_float_digits
            server_reset_query =
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid
            admin_users = \(target.user)

            """
        try ini.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        let quoted = { (text: String) in "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        try "\(quoted(target.user)) \(quoted(target.password))\n".write(
            toFile: directory + "/userlist.txt", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory + "/userlist.txt")
        // PgBouncer refuses to run as root: switch to the server's account (-u) then.
        var arguments = [directory + "/pgbouncer.ini"]
        if getuid() == 0 {
            let account = ProcessInfo.processInfo.environment["PGFAST_EMBEDDED_USER"] ?? "postgres"
            try FileManager.default.setAttributes([.ownerAccountName: account], ofItemAtPath: directory)
            try FileManager.default.setAttributes(
                [.ownerAccountName: account], ofItemAtPath: directory + "/userlist.txt")
            arguments = ["-u", account] + arguments
        }
        // Started in the foreground but never waited for: it outlives this process (the
        // next test process reuses it through the port file). posix_spawn with an empty
        // signal mask, so SIGTERM stops it (the test process blocks signals in its threads);
        // its output goes to the log file.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(
                &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Nothing else inherited: a CLI test's pipes, open at this moment in another thread, held
        // by a PgBouncer that outlives the run, kept that test reading them for ever.
        EmbeddedServer.ChildProcess.closeInheritedDescriptors(&actions)
        var pid: pid_t = 0
        let spawned = withCStringArray([executable] + arguments) { argv in
            let arguments = UnsafeMutableRawPointer(mutating: argv).assumingMemoryBound(
                to: UnsafeMutablePointer<CChar>?.self)
            return posix_spawn(&pid, executable, &actions, &attributes, arguments, environ)
        }
        guard spawned == 0 else { throw BouncerError(message: "cannot start \(executable): errno \(spawned)") }
        for _ in 0..<200 {
            if await answers(port: port, user: target.user) {
                try String(port).write(toFile: portFile, atomically: true, encoding: .utf8)
                return port
            }
            guard kill(pid, 0) == 0 else { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        let log = (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? ""
        throw BouncerError(message: "pgbouncer does not answer on port \(port): \(log)")
    }

    /// The server the bouncer forwards to, and where its files live.
    struct Target {
        var host: String
        var port: Int
        var user: String
        var password: String
        var directory: String

        static func current() async throws -> Target {
            let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"] ?? ""
            guard !url.isEmpty else {
                let server = try await EmbeddedServer.shared()
                return Target(
                    host: "127.0.0.1", port: server.port, user: server.user, password: "",
                    directory: server.directory + "/pgbouncer-\(server.port)")
            }
            let admin = try await TestServer.adminConfig()
            let host = admin.host ?? "/var/run/postgresql"
            let port = admin.port ?? 5432
            let user = admin.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
            let key = SHA256.hexDigest(of: Array("\(host):\(port):\(user)".utf8)).prefix(12)
            return Target(
                host: host, port: port, user: user, password: admin[parameter: "password"] ?? "",
                directory: FileManager.default.temporaryDirectory.path + "/pgfast-pgbouncer-\(key)")
        }
    }

    private static func answers(port: Int, user: String) async -> Bool {
        guard var config = try? DatabaseConfig(url: "postgresql://\(user)@127.0.0.1:\(port)/postgres") else {
            return false
        }
        config.connectTimeout = .seconds(2)
        guard let connection = try? await Connection.connect(config) else { return false }
        let ok = (try? await connection.value("SELECT 1", as: Int32.self)) == 1
        await connection.close()
        return ok
    }

    struct BouncerError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
