import Foundation

/// Applies SQL-file migrations to a database, one module at a time.
///
/// History lives in one table, `pgfast_migrations`, in the database handle's
/// schema (created on first use): module, version, name, checksum, applied
/// time and duration. Several modules can share a database, each with its
/// own history; a module's migrations run with `{{tables.x}}` rendered into
/// its `Database`'s schema (unqualified names stay on the search path). An
/// advisory lock per schema and module makes concurrent migrators (tasks,
/// processes, machines) apply each migration exactly once.
///
/// Each migration runs statement by statement, in one transaction together
/// with its history row: a failure leaves neither, and the error names the file
/// and the line of the failing statement with the server's message, detail and
/// hint. Settings a file changes (`SET`, `set_config`) are reset after it, as if
/// each file ran in its own `psql` session.
///
/// Directives, in comment lines before the first statement of a file:
///
/// - `-- depends_on: 20250101000000, 20250102000000`: apply after these versions.
/// - `-- pgfast:no-transaction` (pgdbm's `-- pgdbm:no-transaction` too): run the file
///   outside a transaction, for statements PostgreSQL refuses inside one
///   (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE … ADD VALUE` before 12). Its
///   statements then commit one by one, and the history row is written after the
///   last: keep such files to one statement, or make them idempotent
///   (`IF NOT EXISTS`), so a failure half way can be retried.
///
/// ```swift
/// let migrator = Migrator(database: users, directories: ["Sources/Users/migrations"], module: "users")
/// let plan = try await migrator.plan()        // what up() would apply, in order
/// let applied = try await migrator.up()
/// try await migrator.down(steps: 1)
/// ```
public struct Migrator: Sendable {
    /// The database (and schema) migrations run in.
    public let database: Database
    /// The history this migrator reads and writes; several modules share one table.
    public let module: String
    /// How long to wait for another migrator of the same module before giving up
    /// with ``MigrationError/Code/lockTimeout``: a deploy should fail, not hang, when a
    /// migration elsewhere is stuck.
    ///
    /// ```swift
    /// var migrator = Migrator(database: db, directories: ["db/migrations"])
    /// migrator.lockTimeout = .seconds(10)
    /// ```
    public var lockTimeout: Duration = .seconds(60)
    private let source: Source

    enum Source: Sendable {
        case directories([URL])
        case loaded(MigrationSet)
    }

    /// Migrations from `directories`, relative paths resolved against `base`: the
    /// working directory by default, or ``PathBase/package(containing:)`` for the
    /// package holding the calling file, the base the testing traits use.
    ///
    /// ```swift
    /// let migrator = Migrator(database: db, directories: ["db/migrations"])   // from the working directory
    /// let app = Migrator(database: db, directories: ["db/migrations"], relativeTo: .package(), module: "todo")
    /// ```
    public init(
        database: Database, directories: [String], relativeTo base: PathBase = .workingDirectory,
        module: String = "default"
    ) {
        self.database = database
        self.module = module
        source = .directories(directories.map { base.resolve($0) })
    }

    /// Migrations already loaded (or discovered with ``MigrationSet/discover(projectRoot:environment:)``).
    ///
    /// ```swift
    /// let set = try MigrationSet.discover(projectRoot: URL(filePath: "."))
    /// let migrator = Migrator(database: db, migrations: set)
    /// ```
    public init(database: Database, migrations: MigrationSet, module: String = "default") {
        self.database = database
        self.module = module
        source = .loaded(migrations)
    }

    /// The migration files, read and validated (order, dependencies, names): every
    /// operation starts here, so a broken set fails before the database is touched.
    ///
    /// ```swift
    /// let set = try migrator.migrations()
    /// print(set.dependencyGraph(format: .text))
    /// ```
    public func migrations() throws -> MigrationSet {
        switch source {
        case .directories(let urls): try MigrationSet.load(directories: urls)
        case .loaded(let set): set
        }
    }
}
