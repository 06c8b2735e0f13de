import Testing

@testable import PGFast

@Suite("Migration file names")
struct MigrationFileNameTests {
    @Test func parsesEachKind() {
        typealias FileName = Migration.FileName
        #expect(
            FileName.parse("20250101120000_create_users_up.sql")
                == .pgfast(version: "20250101120000", name: "create_users", kind: .up))
        #expect(
            FileName.parse("20250101120000_create_users_down.sql")
                == .pgfast(version: "20250101120000", name: "create_users", kind: .down))
        #expect(FileName.parse("001_initial.sql") == .pgdbm(version: "001", name: "initial"))
        #expect(
            FileName.parse("20250101120000_users_fixture.sql") == .fixture(version: "20250101120000", name: "users"))
    }

    @Test(arguments: [
        "2025010112000_short_up.sql", "20250101120000_up.sql", "create_users_up.sql", "create_users.sql",
        "_x.sql", "20250101120000_.sql", "123.sql", "notes.txt",
    ])
    func rejects(_ fileName: String) {
        guard case .invalid = Migration.FileName.parse(fileName) else {
            Issue.record("\(fileName) should not parse")
            return
        }
    }

    @Test func shortVersionReasonNamesTheDigitCount() {
        #expect(
            Migration.FileName.parse("001_initial_up.sql")
                == .invalid(reason: "version \"001\" has 3 digits; it must be a 14-digit timestamp (YYYYMMDDHHMMSS)"))
    }

    @Test func versionsOrderNumerically() {
        #expect(["10", "9", "002", "1"].sorted(by: Migration.versionPrecedes) == ["1", "002", "9", "10"])
        #expect(Migration.versionKey("001") == Migration.versionKey("1"))
        #expect(Migration.versionKey("000") == "0")
    }
}
