import Foundation
import PGFastTesting
import Testing
import TodoApp

/// The template records the app's module, so the migrator the app runs at startup
/// finds a test's clone up to date.
@Suite(.todoDatabase)
struct MigrationModuleTests {
    @Test func appsMigratorAppliesNothingOnATestClone() async throws {
        let db = try IsolatedDatabase.current.database
        #expect(try await TodoMigrations.migrate(db).isEmpty)
        let status = try await TodoMigrations.migrator(on: db).status()
        #expect(status.count == 2)
        #expect(status.allSatisfy { $0.state == .applied })
        let modules = try await db.query("SELECT DISTINCT module FROM pgfast_migrations").decode(String.self)
        #expect(modules == [TodoMigrations.module])
    }

    @Test func appStartsOnATestClone() async throws {
        // buildApplication's beforeServerStarts runs the migrator; app.test fails if it throws.
        try await TestApp.run { client in
            try await client.execute(uri: "/users/1/todos", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func templateOfAnotherModuleIsNotTheAppsSchema() async throws {
        // A database migrated under module "default" has the tables but not the app's
        // history: the app's migrator tries to create them again, and fails.
        try await withIsolatedDatabase(migrations: ["db/migrations"]) { other in
            await #expect(throws: MigrationError.self) {
                try await TodoMigrations.migrate(other.database)
            }
        }
    }
}
