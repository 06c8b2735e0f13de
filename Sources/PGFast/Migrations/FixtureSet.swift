import Foundation

/// The fixture files of a project, checked against its migrations.
///
/// Every fixture's version must belong to a migration, so stale data files fail loudly
/// instead of loading into a schema they no longer fit.
///
/// ```swift
/// let migrations = try MigrationSet.discover(projectRoot: root)
/// let fixtures = try FixtureSet.discover(projectRoot: root, migrations: migrations)
/// for fixture in try fixtures.fixtures(named: ["orders", "users"]) {
///     print(fixture.url.lastPathComponent)   // users first: its migration comes first
/// }
/// ```
public struct FixtureSet: Sendable, Hashable {
    /// The environment variable naming fixtures directories, colon-separated.
    public static let directoriesEnvironmentKey = "PGFAST_FIXTURES_DIRS"

    /// Every fixture, in the migrations' apply order (then by name).
    public var fixtures: [FixtureFile]
    /// Where the fixtures were looked for, named in errors.
    public var directories: [URL]

    /// Loads every `*_fixture.sql` in `directories` (subdirectories included; other files ignored).
    ///
    /// - Throws: ``MigrationError`` for bad names, duplicates, fixtures whose version matches
    ///   no migration, and unsplittable SQL, all collected.
    public static func load(directories: [URL], migrations: MigrationSet) throws -> FixtureSet {
        try load(directories: directories, checkedAgainst: migrations)
    }

    /// Loads every `*_fixture.sql` in `directories` for a schema that has no migrations to
    /// check versions against (a schema dump, a schema built by code): the fixtures come in
    /// version order, then by name, which is file-name order when versions have one width.
    ///
    /// ```swift
    /// let fixtures = try FixtureSet.load(directories: [URL(filePath: "db/fixtures")])
    /// ```
    ///
    /// - Throws: ``MigrationError`` for bad names, duplicates and unsplittable SQL, all collected.
    public static func load(directories: [URL]) throws -> FixtureSet {
        try load(directories: directories, checkedAgainst: nil)
    }

    private static func load(directories: [URL], checkedAgainst migrations: MigrationSet?) throws -> FixtureSet {
        var errors: [MigrationError] = []
        var found: [FixtureFile] = []
        var seen: [String: URL] = [:]
        let order = migrations.map { migrations in
            Dictionary(
                migrations.migrations.enumerated().map { (Migration.versionKey($0.element.version), $0.offset) }
            ) { first, _ in first }
        }
        for directory in directories {
            guard SQLFileSearch.isDirectory(directory) else {
                errors.append(
                    MigrationError(
                        code: .directoryNotFound, file: directory.path, message: "fixtures directory not found"))
                continue
            }
            for url in SQLFileSearch.sqlFiles(in: directory) where url.lastPathComponent.hasSuffix("_fixture.sql") {
                guard case .fixture(let version, let name) = Migration.FileName.parse(url.lastPathComponent) else {
                    errors.append(
                        MigrationError(
                            code: .invalidFileName, file: url.path,
                            message: "invalid fixture file name \"\(url.lastPathComponent)\": "
                                + "expected {version}_{name}_fixture.sql",
                            hint: "name fixtures like 20250101120000_users_fixture.sql"))
                    continue
                }
                let fixture = FixtureFile(version: version, name: name, url: url)
                let key = Migration.versionKey(version) + "_" + name
                if let other = seen[key] {
                    errors.append(
                        MigrationError(
                            code: .duplicateFixture, file: url.path,
                            message: "fixture \(fixture.id) is also defined by \(other.path)"))
                    continue
                }
                seen[key] = url
                if let order, let migrations, order[Migration.versionKey(version)] == nil {
                    errors.append(
                        MigrationError(
                            code: .fixtureWithoutMigration, file: url.path,
                            message: "fixture version \(version) matches no migration",
                            detail: "migrations loaded from: "
                                + migrations.directories.map(\.path).joined(separator: ", "),
                            hint: "rename the fixture to the version of the migration whose schema it fits"))
                    continue
                }
                do {
                    _ = try fixture.script()
                } catch let error as MigrationError {
                    errors.append(error)
                    continue
                }
                found.append(fixture)
            }
        }
        try MigrationError.throwIfAny(errors)
        found.sort { lhs, rhs in
            guard let order else {
                guard Migration.versionKey(lhs.version) == Migration.versionKey(rhs.version) else {
                    return Migration.versionPrecedes(lhs.version, rhs.version)
                }
                return lhs.name < rhs.name
            }
            let left = order[Migration.versionKey(lhs.version)]!
            let right = order[Migration.versionKey(rhs.version)]!
            return left != right ? left < right : lhs.name < rhs.name
        }
        return FixtureSet(fixtures: found, directories: directories)
    }

    /// The fixtures called `names`, in the migrations' apply order whatever order the names
    /// come in. A name shared by fixtures of several versions returns all of them.
    ///
    /// ```swift
    /// try fixtures.fixtures(named: ["orders", "users"]).map(\.name)   // ["users", "orders"]
    /// ```
    ///
    /// - Throws: ``MigrationError/Code/unknownFixture`` naming the name and where it was looked for.
    public func fixtures(named names: [String]) throws -> [FixtureFile] {
        var errors: [MigrationError] = []
        for name in names where !fixtures.contains(where: { $0.name == name }) {
            let looked =
                directories.isEmpty
                ? "no fixtures directories were found" : directories.map(\.path).joined(separator: ", ")
            let available = Array(Set(fixtures.map(\.name))).sorted()
            errors.append(
                MigrationError(
                    code: .unknownFixture,
                    message: "no fixture named \"\(name)\" (a file {version}_\(name)_fixture.sql) in \(looked)",
                    detail: available.isEmpty
                        ? "there are no fixtures" : "available: " + available.joined(separator: ", ")))
        }
        try MigrationError.throwIfAny(errors)
        let wanted = Set(names)
        return fixtures.filter { wanted.contains($0.name) }
    }

    /// Loads `directories` and picks `names`, in apply order: what a test's fixtures trait does.
    public static func load(names: [String], directories: [URL], migrations: MigrationSet) throws -> [FixtureFile] {
        try load(directories: directories, migrations: migrations).fixtures(named: names)
    }

    /// Loads `directories` and picks `names`, in version order then by name: for a schema
    /// without migrations (see ``load(directories:)``).
    public static func load(names: [String], directories: [URL]) throws -> [FixtureFile] {
        try load(directories: directories).fixtures(named: names)
    }
}
