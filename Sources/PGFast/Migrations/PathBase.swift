import Foundation

/// What relative directory paths are resolved against.
///
/// ``Migrator`` resolves relative paths against the working directory unless told
/// otherwise; the testing traits (`.isolatedDatabase(migrations:)`) resolve them
/// against the package holding the test. ``package(containing:)`` gives a
/// ``Migrator`` the traits' base, so the same `["db/migrations"]` names the same
/// folder in the app and in its tests, whichever directory `swift run` or
/// `swift test` starts in.
///
/// ```swift
/// let migrator = Migrator(
///     database: db, directories: ["db/migrations"], relativeTo: .package(), module: "todo")
/// ```
///
/// Absolute paths are used as they are, whatever the base.
public struct PathBase: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case workingDirectory
        case package(sourceFile: String)
        case directory(String)
    }

    let kind: Kind

    /// The process's working directory when the paths are resolved (PGFast's default).
    public static var workingDirectory: PathBase { PathBase(kind: .workingDirectory) }

    /// The package holding `filePath`: the nearest folder with a `Package.swift` above
    /// the source file that calls this (the default `#filePath`).
    ///
    /// When that source file is not on this disk (a binary deployed without its
    /// sources), the nearest `Package.swift` above the working directory, else the
    /// working directory: deployments should name absolute directories or ship the
    /// SQL beside the binary and run from there.
    public static func package(containing filePath: String = #filePath) -> PathBase {
        PathBase(kind: .package(sourceFile: filePath))
    }

    /// A fixed directory (itself resolved against the working directory when relative).
    public static func directory(_ path: String) -> PathBase {
        PathBase(kind: .directory(path))
    }

    /// The directory relative paths start from, now.
    public var root: URL {
        switch kind {
        case .workingDirectory:
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        case .package(let sourceFile):
            URL(fileURLWithPath: ProjectRoot.containing(sourceFile: sourceFile) ?? ProjectRoot.find())
        case .directory(let path):
            URL(fileURLWithPath: path)
        }
    }

    /// `path` as a file URL: itself when absolute, else below ``root``.
    ///
    /// ```swift
    /// PathBase.directory("/srv/app").resolve("db/migrations").path   // /srv/app/db/migrations
    /// ```
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
    }

    public var description: String {
        switch kind {
        case .workingDirectory: "the working directory"
        case .package(let sourceFile): "the package holding \(sourceFile)"
        case .directory(let path): path
        }
    }
}
