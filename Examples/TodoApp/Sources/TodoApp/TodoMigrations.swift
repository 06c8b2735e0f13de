import PGFast

/// The app's schema: the SQL files in `db/migrations`, under the migrator module `todo`.
///
/// `.package()` resolves `db/migrations` against this package (the folder holding its
/// `Package.swift`), as the testing traits do: `swift run` and `swift test` from any
/// directory read the same files. The module keeps the app's history apart from any
/// other module sharing the database; the tests' templates record the same module
/// (`.isolatedDatabase(migrations: ["db/migrations"], module: "todo")`), so this
/// migrator finds a test's clone fully migrated.
public enum TodoMigrations {
    /// The migrator module the app's history is recorded under.
    public static let module = "todo"
    /// The migration folder, relative to this package.
    public static let directory = "db/migrations"

    /// The app's migrator on `database`.
    public static func migrator(on database: Database) -> Migrator {
        Migrator(database: database, directories: [directory], relativeTo: .package(), module: module)
    }

    /// Applies what is pending and returns it (nothing, on a migrated database).
    @discardableResult
    public static func migrate(_ database: Database) async throws -> [Migration] {
        try await migrator(on: database).up()
    }
}
