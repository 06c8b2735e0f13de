import Foundation

/// Applies SQL-file migrations to a database, one module at a time.
///
/// History lives in one table, `pgfast_migrations`, in the database handle's
/// schema (created on first use): version, name, module, checksum, applied
/// time and duration. Several modules can share a database, each with its
/// own history; a module's migrations run in its `Database`'s schema with
/// `{{tables.x}}` rendered. An advisory lock per schema and module makes
/// concurrent migrators (tasks, processes, machines) apply each migration once.
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
    /// How long to wait for another migrator of the same module before giving up.
    public var lockTimeout: Duration = .seconds(60)
    private let source: Source

    enum Source: Sendable {
        case directories([URL])
        case loaded(MigrationSet)
    }

    /// Migrations from `directories` (relative paths from the working directory).
    ///
    /// ```swift
    /// let migrator = Migrator(database: db, directories: ["db/migrations"])
    /// ```
    public init(database: Database, directories: [String], module: String = "default") {
        self.database = database
        self.module = module
        source = .directories(directories.map { URL(fileURLWithPath: $0) })
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

    /// The migration files, read and validated (order, dependencies, names).
    public func migrations() throws -> MigrationSet {
        switch source {
        case .directories(let urls): try MigrationSet.load(directories: urls)
        case .loaded(let set): set
        }
    }
}
