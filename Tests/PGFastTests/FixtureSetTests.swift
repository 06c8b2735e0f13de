import Foundation
import Testing

@testable import PGFast

@Suite("FixtureSet")
struct FixtureSetTests {
    let migrations: MigrationSet
    let fixturesDirectory = TestFixtures.url("sets/shop/fixtures")

    init() throws {
        migrations = try MigrationSet.load(directories: [TestFixtures.url("sets/shop/migrations")])
    }

    @Test func shopSetLoads() throws {
        #expect(migrations.versions == ["20250101000000", "20250102000000", "20250103000000"])
        #expect(migrations[version: "20250103000000"]?.dependencies == ["20250101000000", "20250102000000"])
        let set = try FixtureSet.load(directories: [fixturesDirectory], migrations: migrations)
        #expect(set.fixtures.map(\.name) == ["users", "products", "orders"])
        #expect(
            set.fixtures.first
                == FixtureFile(
                    version: "20250101000000", name: "users",
                    url: fixturesDirectory.appending(path: "20250101000000_users_fixture.sql")))
    }

    @Test func fixturesOfAnotherLayoutMatchItsVersions() throws {
        // Flyway's dotted versions and golang-migrate's padded ones name their fixtures too.
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "1.10_posts_fixture.sql": "SELECT 1;", "1_users_fixture.sql": "SELECT 2;",
                "1.2_x_fixture.sql": "SELECT 3;",
            ],
            in: directory)
        let flyway = try MigrationSet.load(directories: [TestFixtures.url("migrations/flyway")])
        let set = try FixtureSet.load(directories: [directory], migrations: flyway)
        #expect(set.fixtures.map(\.id) == ["1_users", "1.2_x", "1.10_posts"])
        let golang = try MigrationSet.load(directories: [TestFixtures.url("migrations/golang_migrate")])
        try TestFixtures.write(["0010_index_fixture.sql": "SELECT 4;"], in: directory)
        let errors = try #require(throws: MigrationError.self) {
            try FixtureSet.load(directories: [directory], migrations: golang)
        }
        // 1.10 and 1.2 are no golang-migrate versions; 0010 is version 10.
        #expect(errors.allErrors.map(\.code) == [.fixtureWithoutMigration, .fixtureWithoutMigration])
    }

    @Test func namedFixturesComeInApplyOrder() throws {
        let fixtures = try FixtureSet.load(
            names: ["orders", "users"], directories: [fixturesDirectory], migrations: migrations)
        #expect(fixtures.map(\.id) == ["20250101000000_users", "20250103000000_orders"])
        let products = try #require(
            try FixtureSet.load(names: ["products"], directories: [fixturesDirectory], migrations: migrations).first)
        #expect(
            try products.script().statements.first?.copyData
                == "TEA-01\tGreen tea; loose leaf\t4.50\nMUG-02\tMug \"classic\"\t9.90\n")
    }

    @Test func unknownNameSaysWhereItLooked() throws {
        let set = try FixtureSet.load(directories: [fixturesDirectory], migrations: migrations)
        #expect {
            try set.fixtures(named: ["users", "invoices"])
        } throws: { error in
            guard let error = error as? MigrationError else { return false }
            return error.code == .unknownFixture && error.message.contains("\"invoices\"")
                && error.message.contains("sets/shop/fixtures")
                && error.detail == "available: orders, products, users"
        }
    }

    @Test func fixtureWithoutMigrationNamesTheFile() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_users_fixture.sql": "SELECT 1;",
                "20240101000000_legacy_fixture.sql": "SELECT 1;",
                "bad_fixture.sql": "SELECT 1;",
                "20250102000000_broken_fixture.sql": "INSERT INTO t VALUES ('x);",
            ], in: directory)
        do {
            _ = try FixtureSet.load(directories: [directory], migrations: migrations)
            Issue.record("expected errors")
        } catch let error as MigrationError {
            let errors = error.allErrors
            #expect(errors.map(\.code) == [.fixtureWithoutMigration, .invalidScript, .invalidFileName])
            #expect(
                errors.map { URL(filePath: $0.file ?? "").lastPathComponent } == [
                    "20240101000000_legacy_fixture.sql", "20250102000000_broken_fixture.sql", "bad_fixture.sql",
                ])
            #expect(errors[1].line == 1)
        }
    }

    @Test func duplicateFixtureAcrossDirectories() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(["20250101000000_users_fixture.sql": "SELECT 1;"], in: directory)
        #expect {
            try FixtureSet.load(directories: [fixturesDirectory, directory], migrations: migrations)
        } throws: { error in
            let error = error as? MigrationError
            return error?.code == .duplicateFixture && error?.file?.hasPrefix(directory.path) == true
        }
    }
}
