import Foundation
@_spi(PGFastInternal) import PGFast

/// A database of one test's own, cloned from a template that already holds the
/// migrations (and the test's fixtures).
///
/// Inside a test with the ``IsolatedDatabaseTrait`` trait, read
/// ``current``; elsewhere use ``withIsolatedDatabase(migrations:fixtureDirectories:fixtures:mode:module:filePath:_:)``
/// or ``make(_:filePath:)``. It runs SQL itself (it is a `QueryExecutor`), or hands
/// out its ``database``, ``pool`` and ``url``.
///
/// ```swift
/// @Test(.isolatedDatabase) func createsUser() async throws {
///     let db = try IsolatedDatabase.current.database
///     try await db.execute("INSERT INTO users (email) VALUES (\("a@example.com"))")
/// }
/// ```
public struct IsolatedDatabase: QueryExecutor, Sendable {
    /// The database's name on the server (`pgfast_t_…`).
    public let name: String
    /// A connection URL for other tools (psql, other drivers, the app under test).
    public let url: String
    /// A `PGFast.Database` on this test's database (inside a transaction in transaction mode).
    public let database: Database
    /// How this test is isolated.
    public let mode: IsolationMode
    let lease: CloneLease

    /// The pool behind ``database``.
    public var pool: ConnectionPool { database.pool }

    /// A configuration for this database, for code that opens its own pool.
    public var config: DatabaseConfig { lease.config }

    public func query(_ sql: SQL, file: String = #fileID, line: Int = #line) async throws -> Rows {
        try await database.query(sql, file: file, line: line)
    }

    public func execute(script: String, file: String = #fileID, line: Int = #line) async throws {
        try await database.execute(script: script, file: file, line: line)
    }

    /// Runs `body` in a transaction on this database (a savepoint in transaction mode).
    @discardableResult
    public func transaction<Result>(
        isolation: isolated (any Actor)? = #isolation, _ body: (Database) async throws -> Result
    ) async throws -> Result {
        try await database.transaction(isolation: isolation, body)
    }

    // MARK: - The current test's database

    @TaskLocal static var scope: IsolationScope?

    /// The isolated database of the running test. Visible in child tasks.
    ///
    /// Throws ``IsolatedDatabaseError/Code/notInIsolatedTest`` outside a test
    /// that has the `.isolatedDatabase` or `.fixtures` trait (or outside
    /// `withIsolatedDatabase`).
    public static var current: IsolatedDatabase {
        get throws {
            guard let database = scope?.primary else {
                throw IsolatedDatabaseError(
                    code: .notInIsolatedTest,
                    message: "IsolatedDatabase.current is only available inside a test with the "
                        + ".isolatedDatabase or .fixtures(…) trait, or inside withIsolatedDatabase { … }; "
                        + "use IsolatedDatabase.make() elsewhere")
            }
            return database
        }
    }

    /// Another isolated database, dropped when the current test (or
    /// `withIsolatedDatabase` block) ends; outside one, call ``drop()`` yourself.
    ///
    /// With no options it is made like the current test's database (same
    /// migrations and fixtures, its own clone); outside a test, from the
    /// migrations discovered in the package holding the calling file.
    ///
    /// ```swift
    /// let replica = try await IsolatedDatabase.make()
    /// ```
    public static func make(_ options: IsolatedDatabaseOptions? = nil, filePath: String = #filePath) async throws
        -> IsolatedDatabase
    {
        var options = options ?? scope?.options ?? IsolatedDatabaseOptions()
        options.mode = .clone
        options.projectRoot =
            options.projectRoot ?? scope?.options.projectRoot
            ?? ProjectRoot.containing(sourceFile: filePath)
        let database = try await IsolatedDatabase.open(options, holdingSlot: scope == nil)
        scope?.adopt(database)
        return database
    }

    /// Drops the database now (or keeps it, per `PGFAST_KEEP_DATABASES=all`).
    public func drop() async {
        await lease.finish(failed: false)
    }
}
