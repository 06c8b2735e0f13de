import Foundation
import Testing

@testable import PGFast

@Suite("MigrationSet errors")
struct MigrationSetErrorTests {
    private func loadError(_ fixture: String) throws -> MigrationError {
        try loadError([TestFixtures.url("migrations/\(fixture)")])
    }

    private func loadError(_ directories: [URL]) throws -> MigrationError {
        do {
            let set = try MigrationSet.load(directories: directories)
            Issue.record("expected an error, loaded \(set.versions)")
            throw CancellationError()
        } catch let error as MigrationError {
            return error
        }
    }

    @Test func cyclePrintsTheCycle() throws {
        let error = try loadError("cycle")
        #expect(error.code == .dependencyCycle)
        #expect(error.message == "dependency cycle: 20250101000000 -> 20250102000000 -> 20250101000000")
        #expect(error.file?.hasSuffix("cycle/20250101000000_a_up.sql") == true)
        #expect(error.line == 1)
        #expect(error.detail?.contains("20250101000000_a_up.sql depends on 20250102000000") == true)
        #expect(error.detail?.contains("also blocked: 20250103000000") == true)
        #expect(error.additionalErrors.isEmpty)  // 20250103000000 is blocked, not a second cycle
        #expect(error.description.contains("cycle/20250101000000_a_up.sql:1: dependency cycle: "))
    }

    @Test func selfDependencyAndTwoCycles() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_a_up.sql": "-- depends_on: 20250101000000\nSELECT 1;",
                "20250102000000_b_up.sql": "-- depends_on: 20250104000000\nSELECT 1;",
                "20250103000000_c_up.sql": "-- depends_on: 20250102000000\nSELECT 1;",
                "20250104000000_d_up.sql": "-- x\n-- depends_on: 20250103000000\nSELECT 1;",
            ], in: directory)
        let errors = try loadError([directory]).allErrors
        #expect(
            errors.map(\.message) == [
                "dependency cycle: 20250101000000 -> 20250101000000",
                "dependency cycle: 20250102000000 -> 20250104000000 -> 20250103000000 -> 20250102000000",
            ])
    }

    @Test func unknownDependencyNamesFileAndLine() throws {
        let error = try loadError("unknown_dependency")
        #expect(error.code == .unknownDependency)
        #expect(error.file?.hasSuffix("unknown_dependency/20250102000000_b_up.sql") == true)
        #expect(error.line == 2)
        #expect(error.message.contains("20241231000000"))
    }

    @Test func duplicateVersionNamesTheSecondFile() throws {
        let error = try loadError("duplicate_version")
        #expect(error.code == .duplicateVersion)
        #expect(error.file?.hasSuffix("duplicate_version/20250101000000_create_users_up.sql") == true)
        #expect(error.message.contains("20250101000000_create_accounts_up.sql"))
    }

    @Test func downWithoutUp() throws {
        let error = try loadError("down_without_up")
        #expect(error.code == .downWithoutUp)
        #expect(error.file?.hasSuffix("down_without_up/20250102000000_b_down.sql") == true)
        #expect(error.additionalErrors.isEmpty)
    }

    @Test func downWithAnotherNameThanItsUp() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            ["20250101000000_users_up.sql": "SELECT 1;", "20250101000000_user_down.sql": "SELECT 1;"], in: directory)
        let error = try loadError([directory])
        #expect(error.code == .downWithoutUp)
        #expect(error.file?.hasSuffix("20250101000000_user_down.sql") == true)
        #expect(error.hint == "rename it to 20250101000000_users_down.sql")
    }

    @Test func badNamesAreAllReported() throws {
        let error = try loadError("bad_name")
        #expect(error.allErrors.map(\.code) == [.invalidFileName, .invalidFileName])
        #expect(
            error.allErrors.map { $0.file.map { URL(filePath: $0).lastPathComponent } } == [
                "2025010200000_thirteen_digits_up.sql", "create_things.sql",
            ])
        #expect(error.message.contains("13 digits"))
        #expect(error.description.contains("(1 more error)"))
    }

    @Test func mixedStylesNameTheOddFile() throws {
        let error = try loadError("mixed_style")
        #expect(error.code == .mixedStyles)
        #expect(error.file?.hasSuffix("mixed_style/003_legacy.sql") == true)
        #expect(error.message.contains("pgdbm style"))
    }

    @Test func mixedStylesAcrossDirectories() throws {
        let error = try loadError([TestFixtures.url("migrations/good"), TestFixtures.url("migrations/pgdbm_style")])
        #expect(error.code == .mixedStyles)
        #expect(error.file?.hasSuffix("pgdbm_style/001_initial.sql") == true)
    }

    @Test func missingDirectory() throws {
        let error = try loadError([TestFixtures.url("migrations/nope")])
        #expect(error.code == .directoryNotFound)
        #expect(error.file?.hasSuffix("migrations/nope") == true)
    }

    @Test func brokenSQLFailsAtLoadWithItsLine() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_a_up.sql": "SELECT 1;\n\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n",
                "20250102000000_b_up.sql": "\\connect other\nSELECT 1;",
            ], in: directory)
        let errors = try loadError([directory]).allErrors
        #expect(errors.map(\.code) == [.invalidScript, .invalidScript])
        #expect(errors.map(\.line) == [3, 1])
        #expect(errors[0].scriptError?.code == .unterminatedDollarQuote)
        #expect(errors[1].scriptError?.code == .unsupportedMetaCommand)
        #expect(errors[0].file?.hasSuffix("20250101000000_a_up.sql") == true)
    }

    @Test func directiveMistakes() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_a_up.sql": "-- pgfast:no-transation\nSELECT 1;",
                "20250102000000_b_up.sql": "-- pgfast:no-transaction maybe\nSELECT 1;",
                "20250103000000_c_up.sql": "SELECT 1;",
                "20250103000000_c_down.sql": "-- depends_on: 20250101000000\nSELECT 1;",
            ], in: directory)
        let errors = try loadError([directory]).allErrors
        #expect(errors.map(\.code) == [.invalidDirective, .invalidDirective, .invalidDirective])
        #expect(errors[0].message == "unknown directive pgfast:no-transation")
        #expect(errors[1].message.contains("\"maybe\""))
        #expect(errors[2].file?.hasSuffix("20250103000000_c_down.sql") == true)
        #expect(errors.allSatisfy { $0.line == 1 })
    }

    @Test func notUTF8() throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data([0x53, 0x45, 0xFF, 0xFE]).write(to: directory.appending(path: "20250101000000_a_up.sql"))
        let error = try loadError([directory])
        #expect(error.code == .unreadableFile)
        #expect(error.message == "file is not valid UTF-8")
    }

    @Test func noDownFile() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/good")])
        let audit = try #require(set[version: "20250101120000"])
        #expect {
            try audit.downScript()
        } throws: { error in
            (error as? MigrationError)?.code == .noDownFile
        }
    }
}
