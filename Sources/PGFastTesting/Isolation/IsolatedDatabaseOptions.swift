/// What an isolated database is made from: where the migrations and fixtures
/// are, which fixtures to load, and how to isolate.
///
/// ```swift
/// let options = IsolatedDatabaseOptions(migrations: ["db/migrations"], fixtures: ["db/fixtures"])
/// ```
public struct IsolatedDatabaseOptions: Sendable, Hashable {
    /// Migration directories; nil means `PGFAST_MIGRATIONS_DIRS`, else every `**/migrations` under the project root.
    public var migrations: [String]?
    /// Fixture directories; nil means `PGFAST_FIXTURES_DIRS`, else every `**/fixtures` under the project root.
    public var fixtureDirectories: [String]?
    /// Fixture names to load (`users` for `{version}_users_fixture.sql`), in migration order.
    public var fixtures: [String]
    public var mode: IsolationMode
    /// The project root for discovery and relative paths; nil is the package root
    /// (the nearest directory with a `Package.swift`, from the working directory up).
    public var projectRoot: String?

    public init(
        migrations: [String]? = nil, fixtures fixtureDirectories: [String]? = nil, load fixtureNames: [String] = [],
        mode: IsolationMode = .clone, projectRoot: String? = nil
    ) {
        self.migrations = migrations
        self.fixtureDirectories = fixtureDirectories
        self.fixtures = fixtureNames
        self.mode = mode
        self.projectRoot = projectRoot
    }
}
