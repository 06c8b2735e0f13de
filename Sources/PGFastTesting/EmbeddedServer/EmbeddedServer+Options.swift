import Foundation

extension EmbeddedServer {
    /// Where the binaries are, whom to run them as and where shared clusters live.
    ///
    /// Every field defaults to the environment, so production code never builds one; tests
    /// pass explicit values instead of mutating the process environment, which would race
    /// with tests running in parallel.
    ///
    /// ```swift
    /// let options = EmbeddedServer.Options(binDirectory: "/usr/lib/postgresql/16/bin")
    /// let server = try await EmbeddedServer.start(directory: dir, options: options)
    /// ```
    struct Options: Sendable {
        /// The environment consulted for `PATH` and the `PGFAST_*` variables.
        var environment: [String: String]
        /// A directory holding `initdb`, `pg_ctl` and `postgres`; nil searches
        /// `PGFAST_PG_BINDIR`, `PATH`, `pg_config --bindir` and the usual install locations.
        var binDirectory: String?
        /// The operating-system user to run PostgreSQL as when we are root; nil means
        /// `PGFAST_EMBEDDED_USER`, else `postgres`. Ignored when not root.
        var user: String?
        /// The directory that holds shared clusters (one per major version); nil means
        /// `PGFAST_EMBEDDED_DIR`, else `/dev/shm/pgfast-<uid>` or the temporary directory.
        var rootDirectory: String?
        /// How long to wait for another process that holds the cluster lock (it may be running initdb).
        var lockTimeout: Duration
        /// How long `pg_ctl` waits for the server to start or stop.
        var serverTimeout: Duration

        init(
            environment: [String: String] = ProcessInfo.processInfo.environment,
            binDirectory: String? = nil,
            user: String? = nil,
            rootDirectory: String? = nil,
            lockTimeout: Duration = .seconds(120),
            serverTimeout: Duration = .seconds(60)
        ) {
            self.environment = environment
            self.binDirectory = binDirectory
            self.user = user
            self.rootDirectory = rootDirectory
            self.lockTimeout = lockTimeout
            self.serverTimeout = serverTimeout
        }

        /// An environment variable, treating an empty value as unset.
        func variable(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
    }
}
