import Foundation
import PGFast
import Testing

/// Other tools' layouts in `fixtures/migrations/<layout>`: each set makes the same schema
/// (users, posts with a PL/pgSQL trigger, an index built outside a transaction where the tool can).
@Suite("Migration layouts: golang-migrate, sqlx, dbmate, goose, diesel, Flyway")
struct MigrationLayoutTests {
    static let layouts: [(directory: String, style: MigrationSet.Style, versions: [String], noTransaction: [Bool])] = [
        ("golang_migrate", .golangMigrate, ["1", "2", "10"], [false, false, false]),
        ("sqlx", .sqlx, ["20240101000001", "20240101000002", "20240101000003"], [false, false, true]),
        ("dbmate", .dbmate, ["20240101000001", "20240101000002", "20240101000003"], [false, false, true]),
        ("goose", .goose, ["00001", "00002", "00003"], [false, false, true]),
        (
            "diesel", .diesel, ["00000000000000", "20240101000001", "20240101000002", "20240101000003"],
            [false, false, false, true]
        ),
        ("flyway", .flyway, ["1", "1.2", "1.10"], [false, false, true]),
    ]

    @Test(arguments: layouts.indices)
    func layoutIsDetectedAndOrderedByItsToolsRule(_ index: Int) throws {
        let (directory, style, versions, noTransaction) = Self.layouts[index]
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/\(directory)")])
        #expect(set.style == style)
        #expect(set.versions == versions)
        #expect(set.migrations.map { !$0.runsInTransaction } == noTransaction)
        #expect(set.migrations.allSatisfy { $0.layout == style })
        // sqlx's up-only files have no down; every other fixture migration has one.
        #expect(set.migrations.map { $0.downFile == nil } == versions.indices.map { style == .sqlx && $0 > 0 })
        // Naming the layout gives the same set.
        let pinned = try MigrationSet.load(directories: [TestFixtures.url("migrations/\(directory)")], layout: style)
        #expect(pinned == set)
    }

    @Test(arguments: layouts.indices)
    func layoutMigratesUpAndDownOnARealServer(_ index: Int) async throws {
        let (directory, _, versions, _) = Self.layouts[index]
        try await MigratorDatabase.with { database in
            let before = try await database.catalog()
            let migrator = database.migrator(directory)
            #expect(try await migrator.up().map(\.version) == versions)
            try await database.db.execute("INSERT INTO users (email) VALUES ('a@example.com')")
            try await database.db.execute(
                "INSERT INTO posts (user_id, body) SELECT id, 'three small words' FROM users")
            #expect(try await database.db.value("SELECT words FROM posts", as: Int.self) == 3)
            #expect(
                try await database.db.value(
                    "SELECT count(*) FROM pg_indexes WHERE indexname = 'posts_user_id_idx'", as: Int.self) == 1)
            #expect(try await migrator.status().allSatisfy { $0.state == .applied })
            #expect(try await migrator.verify().isEmpty)
            try await database.db.execute("DELETE FROM posts")
            try await database.db.execute("DELETE FROM users")
            if directory == "sqlx" {
                // sqlx's simple files cannot be rolled back: the first one refuses, clearly.
                let error = await #expect(throws: MigrationError.self) { try await migrator.down(steps: 3) }
                #expect(error?.code == .noDownFile)
                #expect(error?.message.contains("20240101000003_index_posts.down.sql file") == true)
                return
            }
            try await migrator.down(steps: versions.count)
            let after = try await database.catalog().filter { !$0.contains("pgfast_migrations") }
            #expect(after == before)
        }
    }

    @Test func gooseStatementBlockIsSentAsOneStatement() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/goose")])
        let statements = try set.migrations[1].upScript().statements
        #expect(statements.count == 3)
        #expect(statements[1].text.hasPrefix("CREATE FUNCTION count_words()"))
        #expect(statements[1].text.hasSuffix("$$"))
        // Line numbers are the file's, not the section's.
        #expect(statements[0].line == 2)
        let down = try set.migrations[1].downScript().statements
        #expect(down.map(\.text) == ["DROP TABLE posts", "DROP FUNCTION count_words()"])
    }

    @Test func golangMigrateTransactionStatementsAreDropped() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/golang_migrate")])
        let statements = try set.migrations[0].upScript().statements
        #expect(statements.count == 1)
        #expect(statements[0].text.hasPrefix("CREATE TABLE users"))
        #expect(set[version: "000001"]?.version == "1")
    }

    @Test func pinnedLayoutFileOverridesDetection() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/sqlx_pinned")])
        #expect(set.style == .sqlx)
        #expect(set.migrations.map(\.runsInTransaction) == [true, false])
        // Without the pin the same files read as pgdbm's, where `-- no-transaction` is not a directive.
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            ["1_create_users.sql": try TestFixtures.text("migrations/sqlx_pinned/1_create_users.sql")], in: directory)
        #expect(try MigrationSet.load(directories: [directory]).style == .pgdbm)
        // A file starting with sqlx's `-- no-transaction` tells them apart without a pin.
        try TestFixtures.write(
            ["2_index_users.sql": try TestFixtures.text("migrations/sqlx_pinned/2_index_users.sql")], in: directory)
        let detected = try MigrationSet.load(directories: [directory])
        #expect(detected.style == .sqlx)
        #expect(detected.migrations.map(\.runsInTransaction) == [true, false])
    }

    @Test func sqlxReversibleFilesAreToldApartByNoTransaction() async throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/sqlx_reversible")])
        #expect(set.style == .sqlx)
        #expect(set.migrations.map(\.runsInTransaction) == [true, false])
        #expect(set.migrations.map(\.downRunsInTransaction) == [true, false])
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("sqlx_reversible")
            #expect(try await migrator.up().count == 2)
            try await migrator.down(steps: 2)
            #expect(try await database.db.value("SELECT to_regclass('users') IS NULL", as: Bool.self))
        }
    }

    @Test func styleNames() {
        #expect(
            MigrationSet.Style.all.map(\.description) == [
                "pgfast", "pgdbm", "dbmate", "goose", "diesel", "flyway", "sqlx", "golang-migrate",
            ])
        #expect(MigrationSet.Style(name: "golang_migrate") == .golangMigrate)
        #expect(MigrationSet.Style(name: "migrate") == .golangMigrate)
        #expect(MigrationSet.Style(rawValue: "pgdbm") == .pgdbm)
        #expect(MigrationSet.Style.pgfast.rawValue == "pgfast")
        #expect(MigrationSet.Style(name: "liquibase") == nil)
    }

    @Test func badLayoutFileIsReported() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write([".pgfast-layout": "liquibase\n", "1_a.sql": "SELECT 1;\n"], in: directory)
        let error = try #require(throws: MigrationError.self) { try MigrationSet.load(directories: [directory]) }
        #expect(error.code == .invalidArgument)
        #expect(error.file?.hasSuffix(".pgfast-layout") == true)
        #expect(error.message.contains("liquibase"))
        #expect(error.hint?.contains("goose") == true)
    }

    @Test func pinnedLayoutRejectsFilesOfAnother() throws {
        let error = try #require(throws: MigrationError.self) {
            try MigrationSet.load(directories: [TestFixtures.url("migrations/golang_migrate")], layout: .flyway)
        }
        #expect(error.code == .invalidFileName)
        #expect(error.allErrors.count == 6)
        #expect(error.message.contains("not a flyway migration"))
    }

    static let broken: [(directory: String, code: MigrationError.Code, file: String, text: String)] = [
        ("dbmate_no_up", .invalidScript, "20240101000002_create_posts.sql", "no -- migrate:up line"),
        ("goose_unterminated", .invalidScript, "00001_create_posts.sql", "StatementBegin without a StatementEnd"),
        ("mixed_layouts", .mixedStyles, "3_index_posts.down.sql", "golang-migrate style"),
        ("flyway_repeatable", .invalidFileName, "R__user_emails.sql", "repeatable"),
    ]

    @Test(arguments: broken.indices)
    func brokenLayoutFailsBeforeAnythingRuns(_ index: Int) async throws {
        let (directory, code, file, text) = Self.broken[index]
        let error = try #require(throws: MigrationError.self) {
            try MigrationSet.load(directories: [TestFixtures.url("migrations/\(directory)")])
        }
        let match = error.allErrors.first { $0.code == code && $0.file?.hasSuffix(file) == true }
        #expect(match != nil, "\(error.allErrors)")
        #expect(match?.message.contains(text) == true, "\(match?.message ?? "")")
        try await MigratorDatabase.with { database in
            let before = try await database.catalog()
            await #expect(throws: MigrationError.self) { try await database.migrator(directory).up() }
            #expect(try await database.catalog() == before)
        }
    }

    @Test func mixedLayoutsNameEveryOddFile() throws {
        let error = try #require(throws: MigrationError.self) {
            try MigrationSet.load(directories: [TestFixtures.url("migrations/mixed_layouts")])
        }
        let files = error.allErrors.compactMap { $0.file.map { URL(filePath: $0).lastPathComponent } }.sorted()
        #expect(files == ["3_index_posts.down.sql", "3_index_posts.up.sql"])
        #expect(error.message.contains("uses goose style"))
    }

    @Test func missingDownSectionIsAClearError() async throws {
        try await MigratorDatabase.with { database in
            let migrator = database.migrator("goose_no_down")
            try await migrator.up()
            let error = await #expect(throws: MigrationError.self) { try await migrator.down() }
            #expect(error?.code == .noDownFile)
            #expect(error?.message.contains("-- +goose Down section") == true)
            #expect(error?.file?.hasSuffix("00001_create_users.sql") == true)
            #expect(try await database.history() == ["00001 create_users"])
        }
    }

    @Test func sectionErrorsNameTheFileLine() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "1_a.sql": "-- +goose Up\nSELECT 1;\n-- +goose ENVSUB ON\nSELECT '${X}';\n",
                "2_b.sql": "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n-- +goose Down\n",
            ], in: directory)
        let error = try #require(throws: MigrationError.self) { try MigrationSet.load(directories: [directory]) }
        let byFile = Dictionary(
            error.allErrors.map { (URL(filePath: $0.file ?? "").lastPathComponent, $0) },
            uniquingKeysWith: { a, _ in a })
        #expect(byFile["1_a.sql"]?.line == 3)
        #expect(byFile["1_a.sql"]?.hint?.contains("ENVSUB") == true)
        #expect(byFile["2_b.sql"]?.line == 5)
        #expect(byFile["2_b.sql"]?.message.contains("a second -- +goose Down") == true)
    }

    @Test func dbmateUnknownOptionIsReported() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(["1_a.sql": "-- migrate:up transaction:maybe\nSELECT 1;\n"], in: directory)
        let error = try #require(throws: MigrationError.self) { try MigrationSet.load(directories: [directory]) }
        #expect(error.code == .invalidDirective)
        #expect(error.line == 1)
        #expect(error.message.contains("transaction:maybe"))
    }

    @Test func flywayVersionsCompareNumericallyPartByPart() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "V2__b.sql": "SELECT 2;", "V1.10__c.sql": "SELECT 3;", "V1_9__a.sql": "SELECT 1;",
                "V10__d.sql": "SELECT 4;",
            ],
            in: directory)
        #expect(try MigrationSet.load(directories: [directory]).versions == ["1.9", "1.10", "2", "10"])
        try TestFixtures.write(["V2.0__dup.sql": "SELECT 5;"], in: directory)
        let error = try #require(throws: MigrationError.self) { try MigrationSet.load(directories: [directory]) }
        #expect(error.code == .duplicateVersion)
    }

    @Test func dbmateOrdersByVersionText() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = "-- migrate:up\nSELECT 1;\n"
        try TestFixtures.write(["1_a.sql": file, "10_b.sql": file, "2_c.sql": file], in: directory)
        // dbmate applies files in the order of their names.
        #expect(try MigrationSet.load(directories: [directory]).versions == ["1", "10", "2"])
        try TestFixtures.write([".pgfast-layout": "goose"], in: directory)
        // goose compares numbers (its files have +goose markers; a pinned layout reads these as goose files).
        let error = try #require(throws: MigrationError.self) { try MigrationSet.load(directories: [directory]) }
        #expect(error.message.contains("no -- +goose Up"))
    }
}
