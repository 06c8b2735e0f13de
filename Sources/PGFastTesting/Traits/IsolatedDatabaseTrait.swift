import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

/// Gives each test its own database, cloned from a template that already holds
/// the migrations (and the test's fixtures).
///
/// On a suite it applies to every test inside; a test's own
/// `.isolatedDatabase(…)` overrides the suite's mode and keeps the suite's
/// directories unless it names its own; `.fixtures(…)` on a test adds
/// fixtures to whichever applies.
///
/// ```swift
/// @Suite(.isolatedDatabase)
/// struct UserTests {
///     @Test func createsUser() async throws {
///         let db = try IsolatedDatabase.current.database
///         try await db.execute("INSERT INTO users (email) VALUES (\("a@example.com"))")
///     }
/// }
/// ```
public struct IsolatedDatabaseTrait: TestTrait, SuiteTrait, TestScoping {
    public var options: IsolatedDatabaseOptions
    /// Tells this trait apart from an equal one on the suite.
    let identity = UUID()

    public init(options: IsolatedDatabaseOptions) {
        self.options = options
    }

    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> IsolatedDatabaseTrait? {
        guard !test.isSuite, testCase != nil else { return nil }
        // The innermost `.isolatedDatabase` wins: the test's own comes after its suites'.
        let innermost = test.traits.last { $0 is IsolatedDatabaseTrait } as? IsolatedDatabaseTrait
        return innermost?.identity == identity ? self : nil
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        var options = Self.effectiveOptions(for: test, innermost: self.options)
        options.projectRoot = options.projectRoot ?? ProjectRoot.containing(sourceFile: test.sourceLocation.filePath)
        for fixtures in test.traits.compactMap({ $0 as? FixturesTrait }) {
            options.fixtures += fixtures.names.filter { !options.fixtures.contains($0) }
        }
        let report: @Sendable (KeptReport) -> Void = { kept in Self.reportKept(test: test, kept) }
        let location = test.sourceLocation
        let source = "\(location.fileName):\(location.line):\(location.column)"
        try await IsolationScope.run(
            options, test: "\(test.id)", source: source, reportKept: report
        ) { scope, _ in
            let watcher = IssueHandlingTrait.compactMapIssues { issue in
                if issue.isFailure { scope.markFailed() }
                return issue
            }
            try await watcher.provideScope(for: test, testCase: testCase, performing: function)
        }
    }

    /// The innermost trait's options, with what it leaves unsaid (the template's source,
    /// directories, project root) taken from the traits around it, and every fixture named on the way:
    /// `@Test(.isolatedDatabase(.transaction))` in a suite with explicit directories keeps them.
    static func effectiveOptions(for test: Test, innermost: IsolatedDatabaseOptions) -> IsolatedDatabaseOptions {
        var options = innermost
        for outer in test.traits.compactMap({ ($0 as? IsolatedDatabaseTrait)?.options }).reversed() {
            if options.template.isDiscovered { options.template = outer.template }
            options.fixtureDirectories = options.fixtureDirectories ?? outer.fixtureDirectories
            options.projectRoot = options.projectRoot ?? outer.projectRoot
            if options.module == "default" { options.module = outer.module }
            options.fixtures += outer.fixtures.filter { !options.fixtures.contains($0) }
        }
        return options
    }

    /// Prints and attaches the kept database's URL, never its password.
    static func reportKept(test: Test, _ kept: KeptReport) {
        let outcome = kept.failed ? "failed" : "passed (PGFAST_KEEP_DATABASES=all)"
        FileHandle.standardError.write(
            Data("pgfast: test \(test.name) \(outcome); its database \(kept.name) is kept: \(kept.printedURL)\n".utf8))
        Attachment.record(kept.url, named: "pgfast-database-url.txt")
    }
}

extension Trait where Self == IsolatedDatabaseTrait {
    /// Each test on its own clone of the migrated template (migrations found by discovery).
    public static var isolatedDatabase: Self { IsolatedDatabaseTrait(options: IsolatedDatabaseOptions()) }

    /// Each test isolated by `mode`: its own clone, or a rolled-back transaction on a shared clone.
    ///
    /// ```swift
    /// @Test(.isolatedDatabase(.transaction)) func readsOnly() async throws { … }
    /// ```
    public static func isolatedDatabase(_ mode: IsolationMode) -> Self {
        IsolatedDatabaseTrait(options: IsolatedDatabaseOptions(mode: mode))
    }

    /// Each test on its own clone, with migrations and fixtures from these directories
    /// (relative to the root of the package that holds the test), the template's
    /// history recorded under `module` (the app's `Migrator(…, module:)`).
    ///
    /// ```swift
    /// @Suite(.isolatedDatabase(migrations: ["db/migrations"], fixtures: ["db/fixtures"]))
    /// @Suite(.isolatedDatabase(migrations: ["db/migrations"], module: "todo"))
    /// ```
    public static func isolatedDatabase(
        migrations: [String], fixtures: [String]? = nil, mode: IsolationMode = .clone, module: String = "default"
    ) -> Self {
        IsolatedDatabaseTrait(
            options: IsolatedDatabaseOptions(migrations: migrations, fixtures: fixtures, mode: mode, module: module))
    }

    /// Each test on its own clone of the discovered migrations, recorded under `module`.
    ///
    /// ```swift
    /// @Suite(.isolatedDatabase(module: "todo"))
    /// ```
    public static func isolatedDatabase(module: String, mode: IsolationMode = .clone) -> Self {
        IsolatedDatabaseTrait(options: IsolatedDatabaseOptions(mode: mode, module: module))
    }

    /// Each test on its own clone of a template made from `template`: migration files, a
    /// `pg_dump` file, or the app's own code; fixtures from `fixtures` (directories) go on top.
    ///
    /// ```swift
    /// @Suite(.isolatedDatabase(template: .dump("db/structure.sql"), fixtures: ["db/fixtures"]))
    /// @Suite(.isolatedDatabase(template: .build(key: "schema-v3") { template in
    ///     try await runMigrations(url: template.url)
    /// }))
    /// ```
    ///
    /// On a dump or a build, fixture files need no matching migration: they load in version
    /// order, then by name (file-name order), after the template is built.
    public static func isolatedDatabase(
        template: TemplateSource, fixtures: [String]? = nil, mode: IsolationMode = .clone
    ) -> Self {
        IsolatedDatabaseTrait(options: IsolatedDatabaseOptions(template: template, fixtures: fixtures, mode: mode))
    }

    /// Each test on a database made as `options` say.
    public static func isolatedDatabase(_ options: IsolatedDatabaseOptions) -> Self {
        IsolatedDatabaseTrait(options: options)
    }
}
