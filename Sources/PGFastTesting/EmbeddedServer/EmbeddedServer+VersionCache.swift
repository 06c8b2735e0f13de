import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension EmbeddedServer {
    /// `postgres --version`, remembered per binary across processes.
    ///
    /// Every run needs the server's version before anything else (it names the cluster's
    /// directory, `pg15`), and running the binary loads its libraries: tens of milliseconds at
    /// the start of every `swift test`. The answer is kept in a file of the temporary directory,
    /// one line per binary with its size and modification time, so a binary that changed
    /// (a package upgrade) is asked again. A file that cannot be read or written only means
    /// asking the binary.
    enum VersionCache {
        static var file: String {
            FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-\(geteuid())-versions").path
        }

        /// The version for `postgres` (a path), from the cache or from `ask`, which is then remembered.
        static func version(of postgres: String, in file: String = file, ask: () async throws -> String)
            async rethrows -> String
        {
            guard let key = key(postgres) else { return try await ask() }
            let lines = (try? String(contentsOfFile: file, encoding: .utf8))?.split(separator: "\n") ?? []
            for line in lines {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                if fields.count == 2, fields[0] == key, !fields[1].isEmpty { return String(fields[1]) }
            }
            let version = try await ask()
            // Other binaries' lines are kept (a bounded few); this one's replaced. Written whole and
            // renamed into place, so a concurrent reader sees the old file or the new one.
            let path = key.split(separator: "|").first.map(String.init) ?? key
            var kept = lines.filter { !$0.hasPrefix(path + "|") }.suffix(15).map(String.init)
            kept.append(key + "\t" + version)
            let staging = file + ".\(getpid())"
            if (try? (kept.joined(separator: "\n") + "\n").write(toFile: staging, atomically: false, encoding: .utf8))
                != nil
            {
                if rename(staging, file) != 0 { unlink(staging) }
            }
            return version
        }

        /// `path|size|mtime` of the binary the path leads to; nil when it cannot be looked at.
        static func key(_ path: String) -> String? {
            guard let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            var status = stat()
            guard stat(resolved, &status) == 0 else { return nil }
            #if canImport(Darwin)
                let modified = status.st_mtimespec
            #else
                let modified = status.st_mtim
            #endif
            return "\(String(cString: resolved))|\(status.st_size)|\(modified.tv_sec).\(modified.tv_nsec)"
        }
    }
}
