import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// `module:` on the traits: the template records the app's migrator module, so the
/// app's own `Migrator(module:)` finds a clone up to date.
@Suite(.isolatedDatabase(migrations: Shop.migrations, module: "shop"))
struct ModuleTemplateTests {
    /// The app's migrator, reading the same folder from the same (package) base as the trait.
    func appMigrator(_ db: Database) -> Migrator {
        Migrator(database: db, directories: Shop.migrations, relativeTo: .package(), module: "shop")
    }

    @Test func historyIsRecordedUnderTheModule() async throws {
        let db = try IsolatedDatabase.current.database
        let modules = try await db.query("SELECT DISTINCT module FROM pgfast_migrations").decode(String.self)
        #expect(modules == ["shop"])
        #expect(try await appMigrator(db).up().isEmpty)
        #expect(try await appMigrator(db).status().allSatisfy { $0.state == .applied })
    }

    @Test(.isolatedDatabase(.transaction))
    func aTestsOwnModeKeepsTheSuitesModule() async throws {
        let db = try IsolatedDatabase.current
        #expect(db.mode == .transaction)
        #expect(try await appMigrator(db.database).plan().isEmpty)
    }

    @Test func withoutTheModuleTheAppsMigratorFindsNothingApplied() async throws {
        try await withIsolatedDatabase(migrations: Shop.migrations) { other in
            let pending = try await appMigrator(other.database).plan()
            #expect(pending.count == 3)
            // Applying them again fails on the tables the "default" history already made.
            await #expect(throws: MigrationError.self) { try await appMigrator(other.database).up() }
        }
    }

    @Test func theModuleIsPartOfTheTemplatesKey() throws {
        let root = ProjectRoot.find()
        func recipe(_ module: String) throws -> TemplateRecipe {
            try RecipeCache.make(
                IsolatedDatabaseOptions(migrations: Shop.migrations, projectRoot: root, module: module),
                serverVersion: 160000)
        }
        let shop = try recipe("shop")
        let other = try recipe("default")
        #expect(shop.key != other.key)
        #expect(shop.lineage != other.lineage)
        #expect(try recipe("shop").key == shop.key)
        // Fixture layers inherit it through their parent's key.
        let fixtures = try RecipeCache.make(
            IsolatedDatabaseOptions(
                migrations: Shop.migrations, fixtures: Shop.fixtures, load: ["users"], projectRoot: root,
                module: "shop"), serverVersion: 160000)
        #expect(fixtures.parent?.recipe.key == shop.key)
    }

    @Test func optionsDefaultToTheDefaultModule() {
        #expect(IsolatedDatabaseOptions().module == "default")
        #expect(IsolatedDatabaseOptions(module: "todo").module == "todo")
    }
}
