import Foundation
import Logging

extension EmbeddedServer {
    /// One cluster on disk and the `initdb`/`pg_ctl` operations on it.
    ///
    /// Layout of the cluster root:
    /// - `data/`: the data directory; it only appears, by rename, once initdb and our
    ///   configuration have finished (`data.initdb/` is the staging area), so a crash half-way
    ///   through initdb can never be mistaken for a finished cluster.
    /// - `socket/`: the Unix-domain socket directory.
    /// - `postgres.log`: the server log.
    /// - `pgfast.lock`: the `flock` that serializes initdb, start and stop across processes.
    struct Cluster: Sendable {
        var directory: String
        var binaries: Binaries
        var account: Account
        var lockTimeout: Duration
        var serverTimeout: Duration
        var logger: Logger

        var dataDirectory: String { directory + "/data" }
        var stagingDirectory: String { directory + "/data.initdb" }
        var socketDirectory: String { directory + "/socket" }
        var logFile: String { directory + "/postgres.log" }
        var lockFile: String { directory + "/pgfast.lock" }

        /// How many times a start is retried on a new port when the old one was taken meanwhile.
        private static let portAttempts = 3

        // MARK: Start

        /// Creates the cluster if needed and starts it unless it is running, under the lock.
        ///
        /// - Returns: the port it listens on, and whether this call ran initdb.
        func ensureRunning() async throws -> (port: Int, created: Bool) {
            try prepareDirectories()
            return try await FileLock.withLock(path: lockFile, timeout: lockTimeout) {
                var created = false
                if try !isInitialized() {
                    try await initialize()
                    created = true
                }
                let port = try persistedPort()
                // A cluster initdb just made is not running; a running one usually answers its socket.
                var running = !created && isListening(port: port)
                if !running, !created { running = await isRunning() }
                if running {
                    logger.debug(
                        "Reusing running PostgreSQL", metadata: ["directory": "\(directory)", "port": "\(port)"])
                    return (port, created)
                }
                return (try await start(persistedPort: port), created)
            }
        }

        /// Creates the cluster root and socket directory and hands them to the server's account.
        private func prepareDirectories() throws {
            // Unix-domain socket paths are short (108 bytes on Linux, 104 on macOS).
            let socketPath = socketDirectory + "/.s.PGSQL.65535"
            guard socketPath.utf8.count < 104 else {
                throw EmbeddedServerError(
                    code: .invalidDirectory,
                    message: """
                        The cluster directory \(directory) is too long: the server socket path \(socketPath) \
                        would exceed the Unix-domain socket limit. Use a shorter directory.
                        """
                )
            }
            do {
                try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
            } catch {
                throw EmbeddedServerError(
                    code: .invalidDirectory,
                    message: "Could not create the cluster directory \(directory): \(error)"
                )
            }
            try account.giveOwnership(of: directory)
            try account.giveOwnership(of: socketDirectory)
        }

        /// Whether `data/` holds a finished cluster of our major version.
        private func isInitialized() throws -> Bool {
            guard FileManager.default.fileExists(atPath: dataDirectory) else { return false }
            guard let version = try? String(contentsOfFile: dataDirectory + "/PG_VERSION", encoding: .utf8),
                FileManager.default.fileExists(atPath: dataDirectory + "/" + Configuration.fileName)
            else {
                throw EmbeddedServerError(
                    code: .invalidDirectory,
                    message: """
                        \(dataDirectory) exists but is not a cluster created by PGFast (no PG_VERSION or \
                        \(Configuration.fileName)). Remove \(directory) or choose another directory.
                        """
                )
            }
            let major = version.trimmingCharacters(in: .whitespacesAndNewlines)
            guard major == binaries.majorVersion else {
                throw EmbeddedServerError(
                    code: .versionMismatch,
                    message: """
                        \(dataDirectory) was created by PostgreSQL \(major), but the binaries in \
                        \(binaries.directory) are PostgreSQL \(binaries.version). Remove \(directory), or set \
                        PGFAST_PG_BINDIR to PostgreSQL \(major) binaries.
                        """
                )
            }
            return true
        }

        /// Runs initdb into the staging directory, configures it, then renames it into place.
        private func initialize() async throws {
            let fileManager = FileManager.default
            if fileManager.fileExists(atPath: stagingDirectory) {
                logger.notice(
                    "Removing a cluster whose initdb did not finish", metadata: ["directory": "\(stagingDirectory)"])
                try fileManager.removeItem(atPath: stagingDirectory)
            }
            let arguments = [
                "--pgdata=\(stagingDirectory)", "--username=postgres", "--auth=trust", "--encoding=UTF8",
                "--locale=C", "--no-sync",
            ]
            let result = try await account.run(binaries.initdb, arguments, in: directory)
            guard result.succeeded else {
                try? fileManager.removeItem(atPath: stagingDirectory)
                throw EmbeddedServerError(
                    code: .initdbFailed,
                    message: "initdb failed for \(stagingDirectory) (exit status \(result.status)).",
                    output: result.output
                )
            }

            let port = try LoopbackPort.free()
            try writeSettings(port: port, dataDirectory: stagingDirectory)
            try writeFile(stagingDirectory + "/pg_hba.conf", Configuration.hostBasedAuthentication)
            let mainConfiguration = stagingDirectory + "/postgresql.conf"
            let original = try String(contentsOfFile: mainConfiguration, encoding: .utf8)
            try writeFile(mainConfiguration, original + "\n" + Configuration.includeLine + "\n")

            try fileManager.moveItem(atPath: stagingDirectory, toPath: dataDirectory)
            logger.info(
                "Created PostgreSQL cluster",
                metadata: ["directory": "\(directory)", "version": "\(binaries.version)", "port": "\(port)"]
            )
        }

        /// Starts the stopped cluster, moving it to a new port if its port is taken.
        private func start(persistedPort: Int) async throws -> Int {
            var port = persistedPort
            var mustMove = false
            // A cluster made by an earlier PGFast starts with today's settings (max_connections, …).
            try writeSettings(port: port, dataDirectory: dataDirectory)
            for attempt in 1...Self.portAttempts {
                if mustMove || !LoopbackPort.isFree(port) {
                    let newPort = try LoopbackPort.free()
                    logger.notice(
                        "Port taken by another program; moving the cluster",
                        metadata: ["directory": "\(directory)", "old": "\(port)", "new": "\(newPort)"]
                    )
                    try writeSettings(port: newPort, dataDirectory: dataDirectory)
                    port = newPort
                }
                let logStart = fileSize(logFile)
                let result = try await pgCtl(["start", "--log=\(logFile)"])
                if result.succeeded {
                    logger.info("Started PostgreSQL", metadata: ["directory": "\(directory)", "port": "\(port)"])
                    return port
                }
                let log = logText(from: logStart)
                if attempt < Self.portAttempts, log.contains("could not bind") || log.contains("already in use") {
                    mustMove = true
                    continue
                }
                throw EmbeddedServerError(
                    code: .startFailed,
                    message: "PostgreSQL did not start (pg_ctl exit status \(result.status)).",
                    output: result.output + (log.isEmpty ? "" : "\n" + log),
                    logFile: logFile
                )
            }
            preconditionFailure("the last attempt returns or throws")
        }

        // MARK: Running server

        /// Whether a server accepts connections on this cluster's socket: the run's usual case, answered
        /// by one `connect(2)` instead of `pg_ctl status` (a process started as the server's account).
        /// The socket lives inside the cluster's directory, so whoever listens there is this cluster.
        func isListening(port: Int) -> Bool {
            let path = socketDirectory + "/.s.PGSQL.\(port)"
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard path.utf8.count < capacity else { return false }
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                buffer.copyBytes(from: path.utf8)
                buffer[path.utf8.count] = 0
            }
            #if canImport(Glibc)
                let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            #else
                let descriptor = socket(AF_UNIX, SOCK_STREAM, 0)
            #endif
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            return connected == 0
        }

        /// Whether a postmaster is running on this data directory (`pg_ctl status`).
        func isRunning() async -> Bool {
            guard let result = try? await pgCtl(["status"], waits: false) else { return false }
            return result.succeeded
        }

        /// `pg_ctl stop -m fast`; stopping a stopped cluster is not an error.
        func stop() async throws {
            try await FileLock.withLock(path: lockFile, timeout: lockTimeout) {
                guard await isRunning() else { return }
                let result = try await pgCtl(["stop", "--mode=fast"])
                guard result.succeeded else {
                    throw EmbeddedServerError(
                        code: .stopFailed,
                        message: "pg_ctl stop failed (exit status \(result.status)).",
                        output: result.output,
                        logFile: logFile
                    )
                }
                logger.info("Stopped PostgreSQL", metadata: ["directory": "\(directory)"])
            }
        }

        /// `pg_ctl restart -m fast`: same data directory, same port; starts a stopped cluster too.
        func restart() async throws {
            try await FileLock.withLock(path: lockFile, timeout: lockTimeout) {
                let logStart = fileSize(logFile)
                let result = try await pgCtl(["restart", "--mode=fast", "--log=\(logFile)"])
                guard result.succeeded else {
                    let log = logText(from: logStart)
                    throw EmbeddedServerError(
                        code: .startFailed,
                        message: "pg_ctl restart failed (exit status \(result.status)).",
                        output: result.output + (log.isEmpty ? "" : "\n" + log),
                        logFile: logFile
                    )
                }
                logger.info("Restarted PostgreSQL", metadata: ["directory": "\(directory)"])
            }
        }

        /// The port persisted in `pgfast.conf`.
        func persistedPort() throws -> Int {
            let path = dataDirectory + "/" + Configuration.fileName
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let port = Configuration.port(inSettings: text)
            else {
                throw EmbeddedServerError(
                    code: .invalidDirectory,
                    message: "\(path) is missing or has no port. Remove \(directory) to recreate the cluster."
                )
            }
            return port
        }

        // MARK: Helpers

        /// Runs `pg_ctl <arguments> -D data`, waiting (`-w`) with our timeout for start/stop.
        private func pgCtl(_ arguments: [String], waits: Bool = true) async throws -> ChildProcess.Result {
            var all = arguments + ["--pgdata=\(dataDirectory)", "--silent"]
            if waits {
                all += ["--wait", "--timeout=\(serverTimeout.components.seconds)"]
            }
            let startsServer = arguments.first == "start" || arguments.first == "restart"
            return try await account.run(binaries.pgCtl, all, in: directory, leavesDaemon: startsServer)
        }

        private func writeSettings(port: Int, dataDirectory: String) throws {
            let text = Configuration.settings(port: port, socketDirectory: socketDirectory)
            try writeFile(dataDirectory + "/" + Configuration.fileName, text)
        }

        /// Writes a file PostgreSQL reads, readable only by the server's account.
        private func writeFile(_ path: String, _ text: String) throws {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            } catch {
                throw EmbeddedServerError(code: .invalidDirectory, message: "Could not write \(path): \(error)")
            }
            try account.giveOwnership(of: path)
        }

        private func fileSize(_ path: String) -> UInt64 {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            return (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
        }

        /// What the server logged since `offset` (at most the last 8 KB of it), for error messages.
        private func logText(from offset: UInt64) -> String {
            guard let handle = FileHandle(forReadingAtPath: logFile) else { return "" }
            defer { try? handle.close() }
            let end = (try? handle.seekToEnd()) ?? 0
            let start = max(offset, end > 8192 ? end - 8192 : 0)
            guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
