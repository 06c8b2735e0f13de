/// Runs `body` with an isolated database cloned from a template made from `template`
/// (migration files, a `pg_dump` file, or the app's own code), dropped afterwards
/// (kept if `body` throws).
///
/// ```swift
/// try await withIsolatedDatabase(template: .dump("db/structure.sql")) { db in
///     let count = try await db.value("SELECT count(*) FROM users", as: Int.self)
/// }
/// ```
///
/// Relative paths are relative to the root of the package holding the calling file.
/// On a dump or a build, fixtures load in version order, then by name.
public func withIsolatedDatabase<Result>(
    template: TemplateSource,
    fixtureDirectories: [String]? = nil,
    fixtures: [String] = [],
    mode: IsolationMode = .clone,
    filePath: String = #filePath,
    _ body: (IsolatedDatabase) async throws -> Result
) async throws -> Result {
    let options = IsolatedDatabaseOptions(
        template: template, fixtures: fixtureDirectories, load: fixtures, mode: mode)
    return try await withIsolatedDatabase(options, filePath: filePath, body)
}

extension IsolatedDatabase {
    /// Another isolated database, cloned from a template made from `template`; dropped when
    /// the current test (or `withIsolatedDatabase` block) ends, outside one by ``drop()``.
    ///
    /// ```swift
    /// let legacy = try await IsolatedDatabase.make(template: .dump("db/legacy_structure.sql"))
    /// ```
    public static func make(
        template: TemplateSource, fixtureDirectories: [String]? = nil, fixtures: [String] = [],
        filePath: String = #filePath
    ) async throws -> IsolatedDatabase {
        try await make(
            IsolatedDatabaseOptions(template: template, fixtures: fixtureDirectories, load: fixtures),
            filePath: filePath)
    }
}
