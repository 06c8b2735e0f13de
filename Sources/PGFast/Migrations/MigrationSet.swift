import Foundation

/// All migrations of one module, validated and in the order to apply them.
///
/// The order follows `-- depends_on:`; among migrations whose dependencies are met, the
/// lowest version goes first, so a set without dependencies is applied in version order.
///
/// ```swift
/// let set = try MigrationSet.discover(projectRoot: URL(filePath: "."))
/// for migration in set.migrations { print(migration.displayName) }
/// print(set.dependencyGraph(format: .mermaid))
/// ```
public struct MigrationSet: Sendable, Hashable {
    /// The migrations in apply order.
    public var migrations: [Migration]
    /// The layout the files were read in (every directory of a set shares one).
    public var style: Style
    /// The directories the migrations were loaded from.
    public var directories: [URL]

    /// Orders migrations made in code, checking their dependencies.
    ///
    /// ```swift
    /// let set = try MigrationSet([second, first])   // second depends on first
    /// set.migrations.map(\.version)                   // [first.version, second.version]
    /// ```
    ///
    /// - Throws: ``MigrationError`` for duplicate versions, unknown dependencies and cycles.
    public init(_ migrations: [Migration], style: Style = .pgfast, directories: [URL] = []) throws {
        var errors: [MigrationError] = []
        var seen: [String: Migration] = [:]
        var unique: [Migration] = []
        for migration in migrations {
            let key = Migration.versionKey(migration.version)
            if let other = seen[key] {
                errors.append(
                    MigrationError(
                        code: .duplicateVersion, file: migration.upFile.path,
                        message: "version \(migration.version) is also used by \(other.upFile.path)"))
            } else {
                seen[key] = migration
                unique.append(migration)
            }
        }
        let (ordered, orderErrors) = MigrationSet.applyOrder(unique, dependencyLines: [:], by: style.precedes)
        try MigrationError.throwIfAny(errors + orderErrors)
        self.init(ordered: ordered, style: style, directories: directories)
    }

    init(ordered: [Migration], style: Style, directories: [URL]) {
        self.migrations = ordered
        self.style = style
        self.directories = directories
    }

    /// The versions in apply order.
    public var versions: [String] { migrations.map(\.version) }

    /// The migration with this version (`"1"` finds pgdbm's `"001"`).
    public subscript(version version: String) -> Migration? {
        let key = Migration.versionKey(version)
        return migrations.first { Migration.versionKey($0.version) == key }
    }

    /// The migrations that depend on `version`, directly or through others, in apply order:
    /// what must be rolled back before it.
    public func dependents(of version: String) -> [Migration] {
        guard let target = self[version: version] else { return [] }
        var affected: Set<String> = [target.version]
        var result: [Migration] = []
        for migration in migrations where migration.dependencies.contains(where: affected.contains) {
            affected.insert(migration.version)
            result.append(migration)
        }
        return result
    }
}
