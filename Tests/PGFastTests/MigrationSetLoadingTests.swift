import Foundation
import Testing

@testable import PGFast

@Suite("MigrationSet loading")
struct MigrationSetLoadingTests {
    @Test func loadsTheGoodSetInDependencyOrder() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/good")])
        #expect(set.style == .pgfast)
        // 20250104000000 depends on 20250105000000, so it moves after it; the rest stay in version order.
        #expect(
            set.versions == [
                "20250101000000", "20250101120000", "20250102000000", "20250103000000", "20250105000000",
                "20250104000000",
            ])
        let users = try #require(set[version: "20250101000000"])
        #expect(users.name == "create_users")
        #expect(users.upFile.lastPathComponent == "20250101000000_create_users_up.sql")
        #expect(users.downFile?.lastPathComponent == "20250101000000_create_users_down.sql")
        #expect(users.dependencies.isEmpty)
        #expect(users.runsInTransaction && users.downRunsInTransaction)
        #expect(users.id == users.version)
        #expect(users.displayName == "20250101000000_create_users")

        let audit = try #require(set[version: "20250101120000"])
        #expect(audit.upFile.path.hasSuffix("good/audit/20250101120000_create_audit_log_up.sql"))
        #expect(audit.downFile == nil)

        let index = try #require(set[version: "20250103000000"])
        #expect(index.dependencies == ["20250102000000"])
        #expect(!index.runsInTransaction)
        #expect(!index.downRunsInTransaction)
    }

    @Test func dependentsAreTransitive() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/good")])
        #expect(set.dependents(of: "20250101000000").map(\.version) == ["20250102000000", "20250103000000"])
        #expect(set.dependents(of: "20250105000000").map(\.version) == ["20250104000000"])
        #expect(set.dependents(of: "20250104000000").isEmpty)
    }

    @Test func loadsRealWorldSQL() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/realworld")])
        #expect(set.versions == ["20250101000000", "20250102000000", "20250103000000"])
        let functions = try #require(set[version: "20250102000000"]).upScript()
        #expect(functions.statements.count == 6)
        #expect(functions.statements.map(\.line) == [4, 16, 21, 26, 34, 41])
        #expect(functions.statements[3].text.hasSuffix("WHERE customer_id = customer;\nEND"))
        #expect(functions.statements[5].text.hasPrefix("DO $do$") && functions.statements[5].text.hasSuffix("$do$"))

        let seed = try #require(set[version: "20250103000000"]).upScript()
        #expect(seed.statements.count == 2)
        #expect(seed.statements[0].copyData?.components(separatedBy: "\n").count == 4)
        #expect(seed.statements[0].copyData?.hasPrefix("Acme; Inc.\tACME\t\\N\tback\\\\slash\n") == true)
        #expect(seed.statements[1].line == 10)

        let schema = try #require(set[version: "20250101000000"]).upScript()
        #expect(schema.statements.count == 5)
        #expect(schema.statements.first?.line == 6)
    }

    @Test func crlfAndBOMFilesLoad() throws {
        let directory = TestFixtures.url("migrations/crlf_bom")
        let raw = try Data(contentsOf: directory.appending(path: "20250101000000_crlf_notes_up.sql"))
        #expect(raw.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(raw.contains(0x0D))
        let set = try MigrationSet.load(directories: [directory])
        let migration = try #require(set.migrations.first)
        #expect(!migration.runsInTransaction)  // the directive is found despite the BOM and CRLF
        let script = try migration.upScript()
        #expect(script.statements.map(\.line) == [3, 8])
        #expect(!script.statements[0].text.contains("\r"))
        #expect(try migration.downScript().statements.map(\.text) == ["DROP TABLE crlf_notes"])

        // The same files with LF line ends and no BOM have the same checksum.
        let copy = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: copy) }
        for file in [migration.upFile, migration.downFile!] {
            var text = try String(contentsOf: file, encoding: .utf8)
            text = text.replacingOccurrences(of: "\u{FEFF}", with: "").replacingOccurrences(of: "\r\n", with: "\n")
                .replacingOccurrences(of: "\r", with: "\n")
            try Data(text.utf8).write(to: copy.appending(path: file.lastPathComponent))
        }
        #expect(try MigrationSet.load(directories: [copy]).migrations.first?.checksum == migration.checksum)
    }

    @Test func pgdbmStyleDirectory() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/pgdbm_style")])
        #expect(set.style == .pgdbm)
        #expect(set.versions == ["001", "002", "010"])
        #expect(set.migrations.map(\.name) == ["initial", "add_sessions", "add_indexes"])
        #expect(set.migrations.allSatisfy { $0.downFile == nil })
        #expect(set[version: "10"]?.runsInTransaction == false)  // -- pgdbm:no-transaction
        #expect(set[version: "1"]?.version == "001")
    }

    @Test func pgdbmVersionsOrderNumerically() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            ["10_ten.sql": "SELECT 10;", "9_nine.sql": "SELECT 9;", "2_two.sql": "-- depends_on: 10\nSELECT 2;"],
            in: directory)
        let set = try MigrationSet.load(directories: [directory])
        #expect(set.versions == ["9", "10", "2"])
        #expect(set[version: "2"]?.dependencies == ["10"])
    }

    @Test func severalDirectoriesMakeOneSet() throws {
        let root = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try TestFixtures.write(
            ["billing/migrations/20250101060000_invoices_up.sql": "-- depends_on: 20250105000000\nSELECT 1;"],
            in: root)
        let set = try MigrationSet.load(
            directories: ["billing/migrations", TestFixtures.url("migrations/good").path], relativeTo: root)
        #expect(
            set.versions == [
                "20250101000000", "20250101120000", "20250102000000", "20250103000000", "20250105000000",
                "20250101060000", "20250104000000",
            ])
        #expect(set.directories.first?.path.hasSuffix("billing/migrations") == true)
    }

    @Test func inMemoryMigrationsAreOrdered() throws {
        func migration(_ version: String, _ dependencies: [String] = []) -> Migration {
            Migration(
                version: version, name: "m\(version)", upFile: URL(filePath: "/m/\(version)_m_up.sql"),
                dependencies: dependencies, checksum: "")
        }
        let set = try MigrationSet([migration("3"), migration("1", ["2"]), migration("2")])
        #expect(set.versions == ["2", "1", "3"])
        #expect(throws: MigrationError.self) { try MigrationSet([migration("1", ["1"])]) }
    }

    @Test func fixtureFilesAndFixtureFoldersAreNotMigrations() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_a_up.sql": "SELECT 1;",
                "20250101000000_a_fixture.sql": "SELECT 1;",
                "fixtures/whatever.sql": "not a migration",
                ".hidden/broken.sql": "also ignored",
                "notes.txt": "ignored",
            ], in: directory)
        #expect(try MigrationSet.load(directories: [directory]).versions == ["20250101000000"])
    }
}
