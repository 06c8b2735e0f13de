import Foundation

/// One migration: an up file, an optional down file (or, in dbmate's and goose's layouts,
/// one file with both sections), and what they declare.
///
/// Values come from ``MigrationSet/load(directories:layout:)`` or ``MigrationSet/discover(projectRoot:environment:)``,
/// which read the files, compute the ``checksum`` and parse the leading directives.
///
/// ```swift
/// let set = try MigrationSet.load(directories: [URL(filePath: "db/migrations")])
/// for migration in set.migrations {
///     print(migration.version, migration.name, migration.runsInTransaction)
/// }
/// ```
public struct Migration: Sendable, Hashable, Identifiable {
    /// The version as the layout writes it: a 14-digit timestamp (`YYYYMMDDHHMMSS`) in
    /// PGFast's layout, the number prefix of the file elsewhere (`000001`, `20240102030405`;
    /// diesel's folder prefix without dashes), Flyway's dotted version (`1.1`). Lookups such
    /// as ``MigrationSet/subscript(version:)`` compare numbers, so `1` finds `000001`.
    public var version: String
    /// The part of the file (or diesel folder) name after the version.
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
    /// The layout the files are in, which decides how ``upScript()`` and ``downScript()`` read them.
    public var layout: MigrationSet.Style

    public var id: String { version }

    public init(
        version: String, name: String, upFile: URL, downFile: URL? = nil, dependencies: [String] = [],
        runsInTransaction: Bool = true, downRunsInTransaction: Bool = true, checksum: String,
        layout: MigrationSet.Style = .pgfast
    ) {
        self.version = version
        self.name = name
        self.upFile = upFile
        self.downFile = downFile
        self.dependencies = dependencies
        self.runsInTransaction = runsInTransaction
        self.downRunsInTransaction = downRunsInTransaction
        self.checksum = checksum
        self.layout = layout
    }

    /// `20250101000000_create_users`: how people and logs refer to a migration.
    public var displayName: String { "\(version)_\(name)" }

    /// Reads and splits the up file, ready to run statement by statement.
    ///
    /// ```swift
    /// for statement in try migration.upScript().statements { … }
    /// ```
    public func upScript() throws -> SQLScript {
        try script(.up, at: upFile)
    }

    /// Reads and splits the down file; ``MigrationError/Code/noDownFile`` when there is none.
    public func downScript() throws -> SQLScript {
        guard let downFile else {
            throw MigrationError(
                code: .noDownFile, file: upFile.path, message: "migration \(displayName) has no \(downPart)",
                hint: downHint)
        }
        return try script(.down, at: downFile)
    }

    private func script(_ kind: FileName.Kind, at url: URL) throws -> SQLScript {
        guard layout != .pgfast, layout != .pgdbm else { return try Migration.script(at: url) }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MigrationError(code: .missingFile, file: url.path, message: "file not found")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MigrationError(code: .unreadableFile, file: url.path, message: "file is not valid UTF-8")
        }
        guard let (script, _) = try MigrationSections.script(style: layout, kind: kind, text: text, file: url) else {
            throw MigrationError(
                code: .noDownFile, file: url.path, message: "migration \(displayName) has no \(downPart)",
                hint: downHint)
        }
        return script
    }

    /// What the down SQL is called in this layout.
    var downPart: String {
        switch layout {
        case .dbmate: "-- migrate:down section"
        case .goose: "-- +goose Down section"
        case .diesel: "down.sql"
        case .flyway: "undo file (U\(version)__\(name).sql)"
        case .golangMigrate, .sqlx: "\(version)_\(name).down.sql file"
        default: "_down.sql file"
        }
    }

    var downHint: String {
        switch layout {
        case .dbmate: "add a -- migrate:down section to \(upFile.lastPathComponent)"
        case .goose: "add a -- +goose Down section to \(upFile.lastPathComponent)"
        case .diesel: "add down.sql to \(upFile.deletingLastPathComponent().lastPathComponent)/"
        case .flyway: "add U\(version)__\(name).sql next to \(upFile.lastPathComponent)"
        case .golangMigrate, .sqlx: "add \(version)_\(name).down.sql next to \(upFile.lastPathComponent)"
        default: "add \(displayName)_down.sql next to \(upFile.lastPathComponent)"
        }
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
