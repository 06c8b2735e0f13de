import Foundation
import PGFast
import Testing

/// Each broken set of `fixtures/migrations` stops `up` with its error before anything
/// runs: the catalog is the same before and after.
@Suite("Migrator: broken sets change nothing")
struct MigratorBrokenSetTests {
    static let cases: [(fixture: String, code: MigrationError.Code, file: String, text: String)] = [
        ("cycle", .dependencyCycle, "20250101000000_a_up.sql", "20250101000000 -> 20250102000000 -> 20250101000000"),
        ("unknown_dependency", .unknownDependency, "20250102000000_b_up.sql", "depends_on 20241231000000"),
        ("duplicate_version", .duplicateVersion, "20250101000000_create_users_up.sql", "version 20250101000000"),
        ("down_without_up", .downWithoutUp, "20250102000000_b_down.sql", "has no matching up file"),
        ("bad_name", .invalidFileName, "2025010200000_thirteen_digits_up.sql", "13 digits"),
        ("mixed_style", .mixedStyles, "003_legacy.sql", "003_legacy.sql"),
    ]

    @Test(arguments: cases.indices)
    func brokenSetGivesItsErrorAndChangesNothing(_ index: Int) async throws {
        let (fixture, code, file, text) = Self.cases[index]
        try await MigratorDatabase.with { database in
            // Something applied already, from another module, so "unchanged" covers a history table too.
            try await database.migrator("good", module: "other").up(to: "20250101000000")
            let before = try await database.catalog()
            let historyBefore = try await database.history(module: "other")
            let migrator = database.migrator(fixture)
            let attempts: [(String, @Sendable () async throws -> Void)] = [
                ("up", { _ = try await migrator.up() }),
                ("plan", { _ = try await migrator.plan() }),
                ("up(force:)", { _ = try await migrator.up(force: true) }),
                ("down", { _ = try await migrator.down() }),
                ("status", { _ = try await migrator.status() }),
            ]
            for (operation, attempt) in attempts {
                let error = await #expect(throws: MigrationError.self, "\(fixture): \(operation)") {
                    try await attempt()
                }
                let all = error?.allErrors ?? []
                #expect(all.contains { $0.code == code }, "\(fixture): \(all.map(\.code))")
                #expect(
                    all.contains { $0.file?.hasSuffix("\(fixture)/\(file)") == true && $0.description.contains(text) },
                    "\(fixture): \(error?.description ?? "")")
            }
            #expect(try await database.catalog() == before, "\(fixture) changed the catalog")
            #expect(try await database.history(module: "other") == historyBefore)
        }
    }

    @Test func unsplittableSQLNamesFileAndLineAndChangesNothing() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_fine_up.sql": "CREATE TABLE fine (id int);\n",
                "20250102000000_broken_up.sql": "CREATE TABLE broken (id int);\n\nSELECT 'never closed;\n",
            ], in: directory)
        try await MigratorDatabase.with { database in
            let before = try await database.catalog()
            let error = await #expect(throws: MigrationError.self) {
                try await database.migrator(urls: [directory]).up()
            }
            #expect(error?.code == .invalidScript)
            #expect(error?.file?.hasSuffix("20250102000000_broken_up.sql") == true)
            #expect(error?.line == 3)
            // The whole set is checked first: not even the valid first file ran.
            #expect(try await database.catalog() == before)
        }
    }

    @Test func missingDirectoryIsAnError() async throws {
        try await MigratorDatabase.with { database in
            let error = await #expect(throws: MigrationError.self) {
                try await database.migrator(urls: [URL(filePath: "/nonexistent/migrations")]).up()
            }
            #expect(error?.code == .directoryNotFound)
            #expect(error?.file == "/nonexistent/migrations")
        }
    }
}
