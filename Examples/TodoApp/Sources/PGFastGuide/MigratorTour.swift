import Foundation
import PGFast

// Code the migrator article quotes.

/// The app's migrator: package-relative folders, its own module.
public func appMigrator(_ db: Database) -> Migrator {
    var migrator = Migrator(
        database: db, directories: ["db/migrations"], relativeTo: .package(), module: "todo")
    migrator.lockTimeout = .seconds(10)
    return migrator
}

/// Look before you leap: the plan, then the work, then the record.
public func deploy(_ db: Database) async throws -> [MigrationStatus] {
    let migrator = appMigrator(db)
    let plan = try await migrator.plan()
    print("will apply", plan.map(\.version))
    try await migrator.up()
    let problems = try await migrator.verify()
    guard problems.isEmpty else { throw CancellationError() }
    return try await migrator.status()
}

/// Discovery: `PGFAST_MIGRATIONS_DIRS`, else every `**/migrations` under the root.
public func discovered(root: URL) throws -> MigrationSet {
    let set = try MigrationSet.discover(projectRoot: root)
    print(set.dependencyGraph(format: .mermaid))
    return set
}
