import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension EmbeddedServer {
    /// The directory that holds the shared clusters, one per major version (`pg15`, `pg16`, …).
    ///
    /// `PGFAST_EMBEDDED_DIR` if set; else `/dev/shm/pgfast-<uid>` when `/dev/shm` is a writable
    /// RAM disk with room for a cluster (Docker's default 64 MB is not), else
    /// `<temporary directory>/pgfast-<uid>`. Versions get their own cluster so switching
    /// `PGFAST_PG_BINDIR` never meets a data directory of another version.
    ///
    /// ```swift
    /// print(EmbeddedServer.defaultDirectory)  // /dev/shm/pgfast-1000
    /// ```
    public static var defaultDirectory: String {
        sharedRootDirectory(options: Options())
    }

    /// The smallest free space for which `/dev/shm` is used.
    private static let minimumRAMDiskSpace: UInt64 = 1 << 30

    static func sharedRootDirectory(options: Options) -> String {
        if let directory = options.rootDirectory ?? options.variable("PGFAST_EMBEDDED_DIR") {
            return URL(fileURLWithPath: directory).standardizedFileURL.path
        }
        let name = "pgfast-\(geteuid())"
        let ramDisk = "/dev/shm"
        if access(ramDisk, W_OK | X_OK) == 0, freeSpace(ramDisk) >= minimumRAMDiskSpace {
            return ramDisk + "/" + name
        }
        return FileManager.default.temporaryDirectory.appendingPathComponent(name).standardizedFileURL.path
    }

    static func sharedClusterDirectory(options: Options, binaries: Binaries) -> String {
        sharedRootDirectory(options: options) + "/pg" + binaries.majorVersion
    }

    private static func freeSpace(_ path: String) -> UInt64 {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return 0 }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }

    /// The process-wide shared server: one start for all concurrent callers, cached once it succeeds.
    actor SharedCache {
        static let instance = SharedCache()

        private var starting: Task<EmbeddedServer, any Error>?

        func server(logger: Logger) async throws -> EmbeddedServer {
            if let starting {
                return try await starting.value
            }
            let task = Task {
                let options = Options()
                let binaries = try await Binaries.locate(options: options)
                let directory = EmbeddedServer.sharedClusterDirectory(options: options, binaries: binaries)
                return try await EmbeddedServer.start(
                    directory: directory,
                    options: options,
                    binaries: binaries,
                    logger: logger
                )
            }
            starting = task
            do {
                return try await task.value
            } catch {
                // Forget a failed start so that the next caller tries again (after installing PostgreSQL, say).
                if starting == task {
                    starting = nil
                }
                throw error
            }
        }
    }
}
