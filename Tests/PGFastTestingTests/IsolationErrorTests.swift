import Foundation
import PGFast
import Testing

@testable import PGFastTesting

/// Bad migrations and fixtures: each a clear error naming the file, and nothing
/// left behind that a later run could take for a finished template.
@Suite struct IsolationErrorTests {
    static let broken = "fixtures/sets/broken"

    @Test func unknownFixtureNameIsAnError() async throws {
        let error = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(
                migrations: Shop.migrations, fixtureDirectories: Shop.fixtures, fixtures: ["users", "customers"]
            ) { _ in }
        }
        #expect(error?.code == .unknownFixture)
        let text = error?.description ?? ""
        #expect(text.contains("\"customers\""))
        #expect(text.contains("fixtures/sets/shop/fixtures"))
        #expect(text.contains("available: orders, products, users"))
    }

    @Test func fixtureWhoseVersionMatchesNoMigrationIsAnError() async throws {
        let error = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(
                migrations: Shop.migrations, fixtureDirectories: ["\(Self.broken)/orphan_fixture"], fixtures: ["ghosts"]
            ) { _ in }
        }
        #expect(error?.file?.hasSuffix("orphan_fixture/20240601000000_ghosts_fixture.sql") == true)
        #expect(error?.description.contains("20240601000000_ghosts_fixture.sql") == true)
        #expect(error?.description.contains("matches no migration") == true)
    }

    @Test func failingFixtureNamesItsFileAndLineAndLeavesNoTemplate() async throws {
        let options = IsolatedDatabaseOptions(
            migrations: Shop.migrations, fixtures: ["\(Self.broken)/failing_fixture"], load: ["users", "products"])
        let error = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(options) { _ in }
        }
        #expect(error?.code == .fixtureFailed)
        let text = error?.description ?? ""
        #expect(text.contains("failing_fixture/20250102000000_products_fixture.sql:4"), "\(text)")
        #expect(text.contains("column \"colour\""), "\(text)")
        let recipe = try await recipe(options)
        #expect(try await Catalog.exists(recipe.name) == false)
        #expect(try await Catalog.exists(recipe.buildName) == false)
        // The next test of the run gets the same error without building again.
        let again = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(options) { _ in }
        }
        #expect(again?.code == .fixtureFailed)
    }

    @Test func failingMigrationNamesItsFileAndLineAndLeavesNoTemplate() async throws {
        let options = IsolatedDatabaseOptions(migrations: ["\(Self.broken)/failing_migration/migrations"])
        let error = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(options) { _ in }
        }
        #expect(error?.code == .templateBuildFailed)
        let text = error?.description ?? ""
        #expect(text.contains("20250102000000_add_profiles_up.sql:4"), "\(text)")
        #expect(text.contains("column \"bio\" does not exist"), "\(text)")
        let recipe = try await recipe(options)
        #expect(try await Catalog.exists(recipe.name) == false)
        #expect(try await Catalog.exists(recipe.buildName) == false)
    }

    @Test func missingMigrationsDirectoryIsAnError() async throws {
        let error = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(migrations: ["no/such/migrations"]) { _ in }
        }
        #expect(error?.description.contains("no/such/migrations") == true)
    }

    @Test(arguments: [
        ("PGFAST_KEEP_DATABASES", "sometimes", "PGFAST_KEEP_DATABASES=sometimes"),
        ("PGFAST_PREFETCH", "-1", "PGFAST_PREFETCH=-1"),
        ("PGFAST_CLONE_STRATEGY", "rsync", "PGFAST_CLONE_STRATEGY=rsync"),
        ("PGFAST_MAX_CONNECTIONS", "lots", "PGFAST_MAX_CONNECTIONS=lots"),
    ])
    func badSettingIsNamedInTheError(name: String, value: String, expected: String) throws {
        let error = #expect(throws: IsolatedDatabaseError.self) {
            try TestSettings(environment: [name: value])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(expected) == true)
    }

    private func recipe(_ options: IsolatedDatabaseOptions) async throws -> TemplateRecipe {
        try RecipeCache.make(
            options, serverVersion: try await TestEnvironment.current.shared().serverVersion,
            role: try await TestEnvironment.current.shared().templateRole)
    }
}
