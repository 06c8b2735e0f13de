import Foundation
import Logging

/// A local PostgreSQL cluster that PGFast starts for tests when no server is configured.
///
/// The shared cluster is created once, kept in RAM where the machine allows
/// (`/dev/shm`), tuned for throwaway data (no fsync, no autovacuum) and left running
/// when the process exits, so the next test run, and other processes, reuse it at no
/// cost. A file lock makes sure two processes never create or start it twice.
///
/// ```swift
/// let server = try await EmbeddedServer.shared()
/// print(server.url)        // postgresql://postgres@127.0.0.1:54321/postgres
/// print(server.socketURL)  // postgresql://postgres@/postgres?host=/dev/shm/pgfast-0/pg15/socket&port=54321
/// ```
///
/// Running as root (containers, CI), PostgreSQL runs as an unprivileged user:
/// `PGFAST_EMBEDDED_USER`, else `postgres`. Other environment variables: `PGFAST_PG_BINDIR`
/// (where `initdb`, `pg_ctl` and `postgres` are) and `PGFAST_EMBEDDED_DIR` (see ``defaultDirectory``).
public final class EmbeddedServer: Sendable {
    /// The cluster root: data directory, socket directory, log and lock file live inside it.
    public let directory: String
    /// The PostgreSQL data directory (`-D`).
    public let dataDirectory: String
    /// The directory of the server's Unix-domain socket.
    public let socketDirectory: String
    /// The TCP port on 127.0.0.1, and the number in the socket's name.
    public let port: Int
    /// The superuser role to connect as.
    public let user: String

    /// The cluster on disk and how to run its programs.
    let cluster: Cluster
    /// Whether the call that returned this instance ran initdb (for tests of the lock).
    let createdCluster: Bool

    init(cluster: Cluster, port: Int, createdCluster: Bool) {
        self.directory = cluster.directory
        self.dataDirectory = cluster.dataDirectory
        self.socketDirectory = cluster.socketDirectory
        self.port = port
        self.user = "postgres"
        self.cluster = cluster
        self.createdCluster = createdCluster
    }

    // MARK: Starting

    /// Starts or reuses the shared local cluster.
    ///
    /// The first successful call in a process is cached; concurrent callers share one start.
    /// The cluster lives in `defaultDirectory/pg<major>` and keeps running after the process
    /// exits. `logger` is used by the call that actually starts it.
    ///
    /// ```swift
    /// let server = try await EmbeddedServer.shared()
    /// let url = server.url(database: "app_test")
    /// ```
    public static func shared(logger: Logger = PGFastLog.logger(label: "pgfast.embedded")) async throws
        -> EmbeddedServer
    {
        try await SharedCache.instance.server(logger: logger)
    }

    /// Starts (creating it if needed) a cluster in a directory of your choosing, or attaches to it if it runs.
    ///
    /// For tests that stop or restart a server and so must not use the shared one. The cluster
    /// keeps running until ``stop()``; remove the directory afterwards to delete it.
    ///
    /// ```swift
    /// let server = try await EmbeddedServer.start(directory: "/tmp/my-cluster")
    /// defer { try? FileManager.default.removeItem(atPath: server.directory) }
    /// try await server.stop()
    /// ```
    public static func start(
        directory: String,
        logger: Logger = PGFastLog.logger(label: "pgfast.embedded")
    ) async throws -> EmbeddedServer {
        try await start(directory: directory, options: Options(), logger: logger)
    }

    /// ``start(directory:logger:)`` with explicit binaries, user and timeouts instead of the environment.
    static func start(
        directory: String,
        options: Options,
        binaries: Binaries? = nil,
        logger: Logger = PGFastLog.logger(label: "pgfast.embedded")
    ) async throws -> EmbeddedServer {
        let cluster = try await makeCluster(directory: directory, options: options, binaries: binaries, logger: logger)
        let (port, created) = try await cluster.ensureRunning()
        return EmbeddedServer(cluster: cluster, port: port, createdCluster: created)
    }

    /// The shared cluster if it exists and is running, without starting anything; nil otherwise.
    ///
    /// ```swift
    /// if let server = try await EmbeddedServer.sharedIfRunning() {
    ///     print(server.url)
    /// } else {
    ///     print("not running")
    /// }
    /// ```
    public static func sharedIfRunning() async throws -> EmbeddedServer? {
        let options = Options()
        let logger = PGFastLog.logger(label: "pgfast.embedded")
        let binaries = try await Binaries.locate(options: options)
        let directory = sharedClusterDirectory(options: options, binaries: binaries)
        guard FileManager.default.fileExists(atPath: directory + "/data") else { return nil }
        let cluster = try await makeCluster(directory: directory, options: options, binaries: binaries, logger: logger)
        guard let port = try? cluster.persistedPort(), await cluster.isRunning() else { return nil }
        return EmbeddedServer(cluster: cluster, port: port, createdCluster: false)
    }

    static func makeCluster(
        directory: String,
        options: Options,
        binaries: Binaries?,
        logger: Logger
    ) async throws -> Cluster {
        let located: Binaries
        if let binaries {
            located = binaries
        } else {
            located = try await Binaries.locate(options: options)
        }
        return Cluster(
            directory: URL(fileURLWithPath: directory).standardizedFileURL.path,
            binaries: located,
            account: try Account.resolve(options: options),
            lockTimeout: options.lockTimeout,
            serverTimeout: options.serverTimeout,
            logger: logger
        )
    }

    // MARK: Connecting

    /// A URL for the `postgres` database over loopback TCP, for any PostgreSQL client.
    public var url: String { url(database: "postgres") }

    /// A URL for the `postgres` database over the Unix-domain socket: the fastest way in, for libpq.
    public var socketURL: String { socketURL(database: "postgres") }

    /// A loopback TCP URL for `database`.
    ///
    /// ```swift
    /// let url = server.url(database: "orders_test")  // postgresql://postgres@127.0.0.1:54321/orders_test
    /// ```
    public func url(database: String) -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(Self.encodePath(database))"
    }

    /// A Unix-domain socket URL for `database` (libpq syntax: the socket directory is the `host` parameter).
    ///
    /// ```swift
    /// let url = server.socketURL(database: "orders_test")
    /// // postgresql://postgres@/orders_test?host=/dev/shm/pgfast-0/pg15/socket&port=54321
    /// ```
    public func socketURL(database: String) -> String {
        "postgresql://\(user)@/\(Self.encodePath(database))?host=\(Self.encodeQuery(socketDirectory))&port=\(port)"
    }

    /// The server's version, e.g. "15.18", from `postgres --version`.
    public var serverVersion: String { cluster.binaries.version }

    /// The directory of the server's programs: `pg_dump` and `psql` from here match the
    /// server's version (a newer server refuses an older `pg_dump`).
    public var binariesDirectory: String { cluster.binaries.directory }

    /// The server log file, the place to look when the server misbehaves.
    public var logFile: String { cluster.logFile }

    // MARK: Controlling

    /// Stops the server (`pg_ctl stop -m fast`); a stopped server is not an error.
    ///
    /// ```swift
    /// try await server.stop()
    /// ```
    public func stop() async throws {
        try await cluster.stop()
    }

    /// Restarts the server on the same port (`pg_ctl restart -m fast`); starts it if it was stopped.
    ///
    /// ```swift
    /// try await server.restart()
    /// ```
    public func restart() async throws {
        try await cluster.restart()
    }

    /// Whether the server is running (`pg_ctl status`).
    ///
    /// ```swift
    /// if await !server.isRunning() { try await server.restart() }
    /// ```
    public func isRunning() async -> Bool {
        await cluster.isRunning()
    }

    private static func encodePath(_ component: String) -> String {
        // Only RFC 3986 unreserved characters: `alphanumerics` would let non-ASCII letters through.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }

    private static func encodeQuery(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#?%")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
