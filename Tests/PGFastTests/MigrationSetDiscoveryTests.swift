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

    @Test func folderWithIgnoreMarkerIsNeverEntered() throws {
        let root = try makeProject()
        defer { try? FileManager.default.removeItem(at: root) }
        try TestFixtures.write(
            [
                // Test inputs: a duplicate version and a broken fixture, as in PGFast's own fixtures/.
                "testdata/.pgfast-ignore": "",
                "testdata/migrations/dup/20250101000000_a_up.sql": "SELECT 1;",
                "testdata/migrations/dup/20250101000000_b_up.sql": "SELECT 2;",
                "testdata/fixtures/20259999000000_orphan_fixture.sql": "broken '",
                // A marker on a migrations folder itself hides it too.
                "Sources/Legacy/migrations/.pgfast-ignore": "",
                "Sources/Legacy/migrations/20250101000000_users_up.sql": "duplicate of Users",
            ], in: root)
        let directories = MigrationSet.migrationDirectories(projectRoot: root, environment: [:])
        #expect(
            directories.map { $0.path.replacingOccurrences(of: root.path, with: "") } == [
                "/Sources/Orders/migrations", "/Sources/Users/migrations",
            ])
        let set = try MigrationSet.discover(projectRoot: root, environment: [:])
        #expect(set.versions == ["20250101000000", "20250102000000", "20250103000000"])
        #expect(
            FixtureSet.fixtureDirectories(projectRoot: root, environment: [:]).map(\.lastPathComponent) == ["fixtures"])
        // By explicit path the marked folders still load (and fail, being broken).
        #expect(throws: MigrationError.self) {
            try MigrationSet.load(directories: [root.appending(path: "testdata/migrations/dup")])
        }
    }

    /// PGFast's own `fixtures/` holds broken sets: discovery from the repository root
    /// (what `swift run pgfast schema up` does there) must not see them.
    @Test func repositoryRootDiscoveryIgnoresTheTestInputs() throws {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directories = MigrationSet.migrationDirectories(projectRoot: repository, environment: [:])
        #expect(!directories.contains { $0.path.hasPrefix(repository.path + "/fixtures") })
        let set = try MigrationSet.discover(projectRoot: repository, environment: [:])
        _ = try FixtureSet.discover(projectRoot: repository, environment: [:], migrations: set)
        // The explicit paths the tests use still work.
        #expect(
            try MigrationSet.load(directories: [repository.appending(path: "fixtures/migrations/good")]).migrations
                .count == 6)
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
