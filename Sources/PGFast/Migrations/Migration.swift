import Foundation

/// One migration: an `_up.sql` file, an optional `_down.sql` file, and what they declare.
///
/// Values come from ``MigrationSet/load(directories:)`` or ``MigrationSet/discover(projectRoot:environment:)``,
/// which read the files, compute the ``checksum`` and parse the leading directives.
///
/// ```swift
/// let set = try MigrationSet.load(directories: [URL(filePath: "db/migrations")])
/// for migration in set.migrations {
///     print(migration.version, migration.name, migration.runsInTransaction)
/// }
/// ```
public struct Migration: Sendable, Hashable, Identifiable {
    /// A 14-digit timestamp (`YYYYMMDDHHMMSS`), or the number prefix of a pgdbm-style file.
    public var version: String
    /// The part of the file name between the version and `_up.sql`.
    public var name: String
    public var upFile: URL
    public var downFile: URL?
    /// Versions named by `-- depends_on:`, in the order written.
    public var dependencies: [String]
    /// `false` when the up file says `-- pgfast:no-transaction` (needed for `CREATE INDEX CONCURRENTLY`).
    public var runsInTransaction: Bool
    /// `false` when the down file says `-- pgfast:no-transaction`.
    public var downRunsInTransaction: Bool
    /// Lowercase hex SHA-256 of the up and down files; see ``checksum(up:down:)`` for the bytes hashed.
    public var checksum: String

    public var id: String { version }

    public init(
        version: String, name: String, upFile: URL, downFile: URL? = nil, dependencies: [String] = [],
        runsInTransaction: Bool = true, downRunsInTransaction: Bool = true, checksum: String
    ) {
        self.version = version
        self.name = name
        self.upFile = upFile
        self.downFile = downFile
        self.dependencies = dependencies
        self.runsInTransaction = runsInTransaction
        self.downRunsInTransaction = downRunsInTransaction
        self.checksum = checksum
    }

    /// `20250101000000_create_users`: how people and logs refer to a migration.
    public var displayName: String { "\(version)_\(name)" }

    /// Reads and splits the up file, ready to run statement by statement.
    ///
    /// ```swift
    /// for statement in try migration.upScript().statements { … }
    /// ```
    public func upScript() throws -> SQLScript {
        try Migration.script(at: upFile)
    }

    /// Reads and splits the down file; ``MigrationError/Code/noDownFile`` when there is none.
    public func downScript() throws -> SQLScript {
        guard let downFile else {
            throw MigrationError(
                code: .noDownFile, file: upFile.path, message: "migration \(displayName) has no _down.sql file",
                hint: "add \(displayName)_down.sql next to \(upFile.lastPathComponent)")
        }
        return try Migration.script(at: downFile)
    }

    static func script(at url: URL) throws -> SQLScript {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MigrationError(code: .missingFile, file: url.path, message: "file not found")
        }
        do {
            return try SQLScript(contentsOf: url)
        } catch let error as SQLScriptError {
            throw MigrationError(error)
        }
    }
}
