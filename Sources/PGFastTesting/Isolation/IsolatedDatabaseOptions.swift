/// What an isolated database is made from: the template's source (migrations, a
/// dump, the app's code), where the fixtures are, which fixtures to load, and how to isolate.
///
/// ```swift
/// let options = IsolatedDatabaseOptions(migrations: ["db/migrations"], fixtures: ["db/fixtures"])
/// let fromDump = IsolatedDatabaseOptions(template: .dump("db/structure.sql"))
/// let app = IsolatedDatabaseOptions(migrations: ["db/migrations"], module: "todo")
/// ```
public struct IsolatedDatabaseOptions: Sendable, Hashable {
    /// What the template is made from; ``TemplateSource/discovered`` (the default) finds the migrations.
    public var template: TemplateSource
    /// Migration directories; nil means `PGFAST_MIGRATIONS_DIRS`, else every `**/migrations` under
    /// the project root. Nil too when ``template`` is a dump or a build.
    public var migrations: [String]? {
        get {
            guard case .migrations(let directories) = template.base else { return nil }
            return directories
        }
        set { template = newValue.map(TemplateSource.migrations) ?? .discovered }
    }
    /// Fixture directories; nil means `PGFAST_FIXTURES_DIRS`, else every `**/fixtures` under the project root.
    public var fixtureDirectories: [String]?
    /// Fixture names to load (`users` for `{version}_users_fixture.sql`): in migration order on
    /// migrations; in version order, then by name (file-name order) on a dump or a build.
    public var fixtures: [String]
    public var mode: IsolationMode
    /// The project root for discovery and relative paths; nil is the root of the package
    /// holding the test (the nearest directory with a `Package.swift` above its source
    /// file, else above the working directory): `PathBase.package(containing:)`,
    /// the base to give the app's `Migrator` so both read the same folders.
    public var projectRoot: String?
    /// The migrator module the template's history is recorded under: the app's
    /// `Migrator(…, module:)`, so the app's own migrator, run at startup on a test's
    /// clone, finds every migration applied. A test's `"default"` takes its suite's.
    public var module: String

    public init(
        migrations: [String]? = nil, fixtures fixtureDirectories: [String]? = nil, load fixtureNames: [String] = [],
        mode: IsolationMode = .clone, projectRoot: String? = nil, module: String = "default"
    ) {
        self.init(
            template: migrations.map(TemplateSource.migrations) ?? .discovered, fixtures: fixtureDirectories,
            load: fixtureNames, mode: mode, projectRoot: projectRoot, module: module)
    }

    /// Options for a template made from `template`.
    ///
    /// ```swift
    /// let options = IsolatedDatabaseOptions(template: .dump("db/structure.sql"), fixtures: ["db/fixtures"])
    /// ```
    public init(
        template: TemplateSource, fixtures fixtureDirectories: [String]? = nil, load fixtureNames: [String] = [],
        mode: IsolationMode = .clone, projectRoot: String? = nil, module: String = "default"
    ) {
        self.template = template
        self.fixtureDirectories = fixtureDirectories
        self.fixtures = fixtureNames
        self.mode = mode
        self.projectRoot = projectRoot
        self.module = module
    }
}
