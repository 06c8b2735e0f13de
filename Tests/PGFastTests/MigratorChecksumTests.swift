import Foundation
import PGFast
import Testing

@Suite("Migrator: checksums, verify, status")
struct MigratorChecksumTests {
    @Test func changedFilesStopUpWithAListAndForceProceeds() async throws {
        let directory = try TestFixtures.copyOfMigrations("good")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            try await migrator.up(to: "20250102000000")
            // Edit two applied migrations (one in its down file) and add nothing else.
            try append("-- edited\n", to: directory.appending(path: "20250101000000_create_users_up.sql"))
            try append("-- edited\n", to: directory.appending(path: "20250102000000_create_orders_down.sql"))
            let catalog = try await database.catalog()

            let error = await #expect(throws: MigrationError.self) { try await migrator.up() }
            #expect(error?.code == .checksumMismatch)
            #expect(error?.message.contains("20250101000000_create_users, 20250102000000_create_orders") == true)
            #expect(error?.file?.hasSuffix("20250101000000_create_users_up.sql") == true)
            #expect(error?.additionalErrors.map { $0.file?.hasSuffix("20250102000000_create_orders_up.sql") } == [true])
            #expect(error?.hint?.contains("force") == true)
            await #expect(throws: MigrationError.self) { try await migrator.plan() }
            #expect(try await database.catalog() == catalog)

            let applied = try await migrator.up(force: true)
            #expect(applied.map(\.version) == ["20250103000000", "20250105000000", "20250104000000"])
            // force does not rewrite the recorded checksums: verify still reports the edits.
            #expect(try await migrator.verify().map(\.code) == [.checksumMismatch, .checksumMismatch])
        }
    }

    @Test func lineEndingsAndByteOrderMarkDoNotCountAsChanges() async throws {
        let directory = try TestFixtures.copyOfMigrations("good")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            try await migrator.up()
            // A checkout with CRLF line ends and an editor that adds a BOM.
            let file = directory.appending(path: "20250102000000_create_orders_up.sql")
            let text = try String(contentsOf: file, encoding: .utf8)
            try Data([0xEF, 0xBB, 0xBF] + Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)).write(to: file)
            #expect(try await migrator.verify().isEmpty)
            #expect(try await migrator.up().isEmpty)
        }
    }

    @Test func verifyReportsChangedAndMissingFiles() async throws {
        let directory = try TestFixtures.copyOfMigrations("good")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            #expect(try await migrator.verify().isEmpty)  // no history table yet: nothing to report
            try await migrator.up()
            #expect(try await migrator.verify().isEmpty)

            try append("SELECT 1;\n", to: directory.appending(path: "20250105000000_create_settings_up.sql"))
            // The audit migration's file goes away (its dependency-free version stays recorded).
            try FileManager.default.removeItem(at: directory.appending(path: "audit"))
            let problems = try await migrator.verify()
            #expect(problems.map(\.code) == [.checksumMismatch, .missingFile])
            #expect(problems[0].file?.hasSuffix("20250105000000_create_settings_up.sql") == true)
            #expect(problems[0].message == "20250105000000_create_settings changed since it was applied")
            #expect(problems[1].message == "20250101120000_create_audit_log is applied but its file is missing")
        }
    }

    @Test func statusShowsEveryStateWithTimes() async throws {
        let directory = try TestFixtures.copyOfMigrations("good")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try await MigratorDatabase.with { database in
            let migrator = database.migrator(urls: [directory])
            let fresh = try await migrator.status()
            #expect(fresh.allSatisfy { $0.state == .pending && $0.appliedAt == nil && $0.duration == nil })
            #expect(fresh.count == 6)

            let started = Date()
            try await migrator.up(to: "20250102000000")
            try append("-- edited\n", to: directory.appending(path: "20250102000000_create_orders_up.sql"))
            try FileManager.default.removeItem(at: directory.appending(path: "audit"))

            let status = try await migrator.status()
            let states = Dictionary(uniqueKeysWithValues: status.map { ($0.version, $0.state) })
            #expect(
                states == [
                    "20250101000000": .applied, "20250102000000": .modified, "20250101120000": .missingFile,
                    "20250103000000": .pending, "20250104000000": .pending, "20250105000000": .pending,
                ])
            for entry in status {
                switch entry.state {
                case .pending:
                    #expect(entry.appliedAt == nil)
                    #expect(entry.migration != nil)
                default:
                    let appliedAt = try #require(entry.appliedAt)
                    #expect(appliedAt >= started.addingTimeInterval(-5) && appliedAt <= Date().addingTimeInterval(5))
                    #expect(try #require(entry.duration) > .zero)
                }
            }
            let missing = try #require(status.first { $0.state == .missingFile })
            #expect(missing.name == "create_audit_log")
            #expect(missing.migration == nil)
            #expect(MigrationStatus.State.missingFile.description == "missing file")
        }
    }

    private func append(_ text: String, to file: URL) throws {
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }
}
