import Foundation

extension FixtureSet {
    /// Finds and loads a project's fixtures.
    ///
    /// The directories are those in `PGFAST_FIXTURES_DIRS` (colon-separated, relative to
    /// `projectRoot`), else every folder named `fixtures` below `projectRoot`, skipping hidden
    /// folders, `node_modules` and folders holding a `.pgfast-ignore` file.
    ///
    /// ```swift
    /// let fixtures = try FixtureSet.discover(projectRoot: root, migrations: migrations)
    /// ```
    public static func discover(
        projectRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
        migrations: MigrationSet
    ) throws -> FixtureSet {
        try load(
            directories: fixtureDirectories(projectRoot: projectRoot, environment: environment), migrations: migrations)
    }

    /// The directories ``discover(projectRoot:environment:migrations:)`` loads.
    public static func fixtureDirectories(
        projectRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [URL] {
        SQLFileSearch.directories(fromEnvironment: directoriesEnvironmentKey, environment, projectRoot: projectRoot)
            ?? SQLFileSearch.directories(named: "fixtures", below: projectRoot)
    }
}
