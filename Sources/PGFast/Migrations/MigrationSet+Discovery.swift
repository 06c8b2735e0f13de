import Foundation

extension MigrationSet {
    /// The environment variable naming migrations directories, colon-separated.
    public static let directoriesEnvironmentKey = "PGFAST_MIGRATIONS_DIRS"

    /// Finds and loads a project's migrations.
    ///
    /// The directories are those in `PGFAST_MIGRATIONS_DIRS` (colon-separated, relative to
    /// `projectRoot`), else every folder named `migrations` below `projectRoot`, skipping
    /// hidden folders (`.git`, `.build`, …), `node_modules` and folders holding a `.pgfast-ignore` file. Pass `environment` in tests
    /// instead of changing the process environment.
    ///
    /// ```swift
    /// let set = try MigrationSet.discover(projectRoot: URL(filePath: "."))
    /// let pinned = try MigrationSet.discover(
    ///     projectRoot: root, environment: ["PGFAST_MIGRATIONS_DIRS": "db/core:db/billing"])
    /// ```
    public static func discover(
        projectRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> MigrationSet {
        try load(directories: migrationDirectories(projectRoot: projectRoot, environment: environment))
    }

    /// The directories ``discover(projectRoot:environment:)`` loads, for tools that show where they looked.
    public static func migrationDirectories(
        projectRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [URL] {
        SQLFileSearch.directories(fromEnvironment: directoriesEnvironmentKey, environment, projectRoot: projectRoot)
            ?? SQLFileSearch.directories(named: "migrations", below: projectRoot)
    }
}
