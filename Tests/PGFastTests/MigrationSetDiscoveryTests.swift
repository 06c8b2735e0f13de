import Foundation
import Testing

@testable import PGFast

@Suite("Migration and fixture discovery")
struct MigrationSetDiscoveryTests {
    /// A project with two modules, build output, dependencies and git metadata.
    private func makeProject() throws -> URL {
        let root = try TestFixtures.temporaryDirectory()
        try TestFixtures.write(
            [
                "Sources/Users/migrations/20250101000000_users_up.sql": "CREATE TABLE users (id int);",
                "Sources/Users/migrations/nested/20250102000000_profiles_up.sql":
                    "-- depends_on: 20250101000000\nCREATE TABLE profiles (id int);",
                "Sources/Orders/migrations/20250103000000_orders_up.sql": "CREATE TABLE orders (id int);",
                "Tests/fixtures/20250101000000_users_fixture.sql": "INSERT INTO users VALUES (1);",
                "Tests/fixtures/README.md": "not SQL",
                "Tests/fixtures/data.sql": "helper SQL that is not a fixture",
                ".build/checkouts/dep/migrations/20240101000000_x_up.sql": "broken '",
                ".git/migrations/bad.sql": "ignored",
                "node_modules/pkg/migrations/bad.sql": "ignored",
                ".hidden/migrations/bad.sql": "ignored",
                "db/other/migrationsx/bad.sql": "not a migrations folder",
            ], in: root)
        return root
    }

    @Test func findsEveryMigrationsFolderAndSkipsTheRest() throws {
        let root = try makeProject()
        defer { try? FileManager.default.removeItem(at: root) }
        let directories = MigrationSet.migrationDirectories(projectRoot: root, environment: [:])
        #expect(
            directories.map { $0.path.replacingOccurrences(of: root.path, with: "") } == [
                "/Sources/Orders/migrations", "/Sources/Users/migrations",
            ])
        let set = try MigrationSet.discover(projectRoot: root, environment: [:])
        #expect(set.versions == ["20250101000000", "20250102000000", "20250103000000"])

        let fixtures = try FixtureSet.discover(projectRoot: root, environment: [:], migrations: set)
        #expect(fixtures.fixtures.map(\.id) == ["20250101000000_users"])
    }

    @Test func environmentNamesTheDirectories() throws {
        let root = try makeProject()
        defer { try? FileManager.default.removeItem(at: root) }
        let environment = [
            "PGFAST_MIGRATIONS_DIRS": "Sources/Orders/migrations::\(root.path)/Sources/Users/migrations",
            "PGFAST_FIXTURES_DIRS": "Tests/fixtures",
        ]
        let set = try MigrationSet.discover(projectRoot: root, environment: environment)
        #expect(set.directories.map(\.lastPathComponent) == ["migrations", "migrations"])
        #expect(set.directories.first?.path.hasSuffix("Sources/Orders/migrations") == true)
        #expect(set.versions == ["20250101000000", "20250102000000", "20250103000000"])
        let fixtures = try FixtureSet.discover(projectRoot: root, environment: environment, migrations: set)
        #expect(fixtures.directories.map { $0.path.hasSuffix("Tests/fixtures") } == [true])

        let pinned = try MigrationSet.discover(
            projectRoot: root, environment: ["PGFAST_MIGRATIONS_DIRS": "Sources/Orders/migrations"])
        #expect(pinned.versions == ["20250103000000"])
    }

    @Test func emptyEnvironmentValueFallsBackToDiscovery() throws {
        let root = try makeProject()
        defer { try? FileManager.default.removeItem(at: root) }
        let set = try MigrationSet.discover(projectRoot: root, environment: ["PGFAST_MIGRATIONS_DIRS": " "])
        #expect(set.migrations.count == 3)
    }

    @Test func environmentDirectoryThatDoesNotExist() throws {
        let root = try makeProject()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect {
            try MigrationSet.discover(projectRoot: root, environment: ["PGFAST_MIGRATIONS_DIRS": "db/missing"])
        } throws: { error in
            let error = error as? MigrationError
            return error?.code == .directoryNotFound && error?.file?.hasSuffix("db/missing") == true
        }
    }

    @Test func projectWithoutMigrations() throws {
        let root = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let set = try MigrationSet.discover(projectRoot: root, environment: [:])
        #expect(set.migrations.isEmpty && set.style == .pgfast)
    }
}
