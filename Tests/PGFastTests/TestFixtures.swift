import Foundation

/// Locates the checked-in `fixtures/` directory from this source file, so tests do not
/// depend on the working directory `swift test` was started from.
enum TestFixtures {
    static let repositoryRoot = URL(filePath: #filePath)
        .deletingLastPathComponent()  // PGFastTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let root = repositoryRoot.appending(path: "fixtures")

    static func url(_ relativePath: String) -> URL {
        root.appending(path: relativePath)
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// A fresh empty directory, removed by the caller with `FileManager.default.removeItem`.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "pgfast-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `files` (relative path to contents) below `directory`, creating folders as needed.
    static func write(_ files: [String: String], in directory: URL) throws {
        for (path, contents) in files {
            let url = directory.appending(path: path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
    }
}
