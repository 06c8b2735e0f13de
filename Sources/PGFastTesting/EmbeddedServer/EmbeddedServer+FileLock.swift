import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension EmbeddedServer {
    /// An exclusive `flock` on a file next to the data directory, so that two processes (or two
    /// tasks) never run initdb on the same directory or start the same cluster twice.
    ///
    /// Waiting polls with `LOCK_NB` and `Task.sleep` instead of a blocking `flock`, which would
    /// park a thread of Swift's cooperative pool for as long as another process runs initdb.
    /// `flock` locks belong to the open file description, so two tasks of one process that each
    /// open the file exclude each other too, and the lock goes away if the process dies.
    enum FileLock {
        /// Runs `body` while holding the lock on `path`, creating the file if needed.
        static func withLock<T: Sendable>(
            path: String,
            timeout: Duration,
            body: () async throws -> T
        ) async throws -> T {
            // O_CLOEXEC: a postmaster started under the lock must not inherit the descriptor,
            // or it would hold the lock for as long as the server runs.
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw EmbeddedServerError(
                    code: .lockFailed,
                    message: "Could not open the lock file \(path): \(String(cString: strerror(errno)))."
                )
            }
            defer { close(descriptor) }

            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: timeout)
            while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                let error = errno
                guard error == EWOULDBLOCK || error == EINTR else {
                    throw EmbeddedServerError(
                        code: .lockFailed,
                        message: "Could not lock \(path): \(String(cString: strerror(error)))."
                    )
                }
                guard clock.now < deadline else {
                    throw EmbeddedServerError(
                        code: .lockFailed,
                        message: """
                            Another process has held the lock \(path) for more than \(timeout); it may be \
                            stuck running initdb. Stop it, or remove the cluster directory and try again.
                            """
                    )
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            defer { flock(descriptor, LOCK_UN) }
            return try await body()
        }
    }
}
