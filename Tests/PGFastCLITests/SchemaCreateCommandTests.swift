import Foundation
import PGFast
import Testing

@Suite("pgfast schema create")
struct SchemaCreateCommandTests {
    @Test func writesAnUpAndDownPairFromTheTemplates() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let migrations = directory.appending(path: "db/migrations")
        let result = try await CLI.run(["schema", "create", migrations.path, "add_users"])
        #expect(result.status == 0, "\(result)")

        let files = try FileManager.default.contentsOfDirectory(atPath: migrations.path).sorted()
        #expect(files.count == 2)
        let version = String(files[0].prefix(14))
        #expect(version.count == 14 && version.allSatisfy(\.isNumber))
        #expect(files == ["\(version)_add_users_down.sql", "\(version)_add_users_up.sql"])
        // A UTC timestamp of now.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        let date = try #require(formatter.date(from: version))
        #expect(abs(date.timeIntervalSinceNow) < 120)
        #expect(result.stdout == "created \(migrations.path)/\(files[1])\ncreated \(migrations.path)/\(files[0])\n")

        // The text is the repository's templates/ with the placeholders filled in.
        for kind in ["up", "down"] {
            let template = try String(
                contentsOf: CLI.repositoryRoot.appending(path: "templates/\(kind).sql"), encoding: .utf8)
            let written = try String(
                contentsOf: migrations.appending(path: "\(version)_add_users_\(kind).sql"), encoding: .utf8)
            #expect(
                written
                    == template.replacingOccurrences(of: "{{version}}", with: version)
                    .replacingOccurrences(of: "{{name}}", with: "add_users"))
        }
        // The pair loads as a valid migration.
        let set = try MigrationSet.load(directories: [migrations])
        #expect(set.migrations.map(\.displayName) == ["\(version)_add_users"])
        #expect(set.migrations[0].downFile != nil)

        // A second one in the same second still gets a later version.
        let second = try await CLI.run(["schema", "create", migrations.path, "add_orders"])
        #expect(second.status == 0)
        let loaded = try MigrationSet.load(directories: [migrations])
        #expect(loaded.migrations.map(\.name) == ["add_users", "add_orders"])
    }

    @Test func builtInTemplatesMatchTheRepositoryTemplates() async throws {
        // Run from a directory without templates/: the built-in copies are used.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await CLI.run(["schema", "create", "m", "x"], directory: directory)
        #expect(result.status == 0, "\(result)")
        for kind in ["up", "down"] {
            let template = try String(
                contentsOf: CLI.repositoryRoot.appending(path: "templates/\(kind).sql"), encoding: .utf8)
            let file = try #require(
                try FileManager.default.contentsOfDirectory(atPath: directory.appending(path: "m").path)
                    .first { $0.hasSuffix("_\(kind).sql") })
            let version = String(file.prefix(14))
            let written = try String(contentsOf: directory.appending(path: "m/\(file)"), encoding: .utf8)
            #expect(
                written
                    == template.replacingOccurrences(of: "{{version}}", with: version)
                    .replacingOccurrences(of: "{{name}}", with: "x"))
        }
    }

    @Test func projectTemplatesWin() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(
            at: directory.appending(path: "templates"), withIntermediateDirectories: true)
        try "-- ours {{version}} {{name}}\n".write(
            to: directory.appending(path: "templates/up.sql"), atomically: true, encoding: .utf8)
        try "-- ours down\n".write(
            to: directory.appending(path: "templates/down.sql"), atomically: true, encoding: .utf8)
        let result = try await CLI.run(["schema", "create", "m", "y"], directory: directory)
        #expect(result.status == 0, "\(result)")
        let up = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory.appending(path: "m").path)
                .first { $0.hasSuffix("_up.sql") })
        #expect(
            try String(contentsOf: directory.appending(path: "m/\(up)"), encoding: .utf8)
                == "-- ours \(up.prefix(14)) y\n")

        let missing = try await CLI.run(["schema", "create", "m", "z", "--templates", "/nonexistent"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--templates '/nonexistent' has no up.sql"))
    }

    @Test func aVersionAfterTheLatestOneIsUsed() async throws {
        // A directory whose newest migration is in the future (a clock ahead on another machine).
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;\n".write(
            to: directory.appending(path: "20990101000000_future_up.sql"), atomically: true, encoding: .utf8)
        let result = try await CLI.run(["schema", "create", directory.path, "next"])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.appending(path: "20990101000001_next_up.sql").path))
    }
}
