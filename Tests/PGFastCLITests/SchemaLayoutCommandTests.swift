import Foundation
import PGFast
import Testing

/// `pgfast schema` on other tools' layouts (`fixtures/migrations/<layout>`), a real
/// project's sqlx migrations, and `schema convert --to pgfast`.
@Suite("pgfast schema: other tools' layouts and convert")
struct SchemaLayoutCommandTests {
    static let layouts: [(directory: String, count: Int, last: String)] = [
        ("golang_migrate", 3, "10_index_posts"), ("sqlx", 3, "20240101000003_index_posts"),
        ("dbmate", 3, "20240101000003_index_posts"), ("goose", 3, "00003_index_posts"),
        ("diesel", 4, "20240101000003_index_posts"), ("flyway", 3, "1.10_index_posts"),
    ]

    @Test(arguments: layouts.indices)
    func upStatusVerifyDepsDown(_ index: Int) async throws {
        let (directory, count, last) = Self.layouts[index]
        try await CLIDatabase.with { url, db in
            let target = ["--database-url", url, "--migrations", CLI.fixture("migrations/\(directory)")]
            let up = try await CLI.run(["schema", "up"] + target)
            #expect(up.status == 0, "\(up)")
            #expect(up.stdout.contains("applied \(last)\n"))
            #expect(up.stdout.contains("\(count) migration(s) applied in "))
            #expect(try await db.value("SELECT to_regclass('posts') IS NOT NULL", as: Bool.self))

            let status = try await CLI.run(["schema", "status"] + target)
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.split(separator: "\n").last == "\(count) applied")
            let verify = try await CLI.run(["schema", "verify"] + target)
            #expect(verify.status == 0, "\(verify)")
            let deps = try await CLI.run(["schema", "deps"] + target.dropFirst(2))
            #expect(deps.status == 0, "\(deps)")
            #expect(deps.stdout.contains("index_posts"))

            guard directory != "sqlx" else { return }  // sqlx's up-only files cannot be rolled back
            let down = try await CLI.run(["schema", "down", "--steps", "\(count)"] + target)
            #expect(down.status == 0, "\(down)")
            #expect(down.stdout.hasPrefix("database "))  // which database, before anything else
            #expect(down.stdout.drop { $0 != "\n" }.dropFirst().hasPrefix("rolled back \(last)\n"))
            #expect(try await db.value("SELECT to_regclass('users') IS NULL", as: Bool.self))
        }
    }

    @Test func brokenLayoutsFailWithTheFileNamed() async throws {
        try await CLIDatabase.with { url, db in
            for (directory, file) in [
                ("mixed_layouts", "3_index_posts.up.sql"), ("dbmate_no_up", "20240101000002_create_posts.sql"),
                ("flyway_repeatable", "R__user_emails.sql"),
            ] {
                let result = try await CLI.run(
                    ["schema", "up", "--database-url", url, "--migrations", CLI.fixture("migrations/\(directory)")])
                #expect(result.status == 1, "\(directory): \(result)")
                #expect(result.stderr.contains(file), "\(directory): \(result)")
            }
            #expect(try await db.value("SELECT to_regclass('users') IS NULL", as: Bool.self))
        }
    }

    @Test func targetVersionsInTheToolsOwnForm() async throws {
        try await CLIDatabase.with { url, db in
            for (directory, target, applied) in [
                ("flyway", "1.2", "1.2_create_posts"), ("golang_migrate", "02", "2_create_posts"),
            ] {
                let args = ["--database-url", url, "--migrations", CLI.fixture("migrations/\(directory)")]
                let up = try await CLI.run(["schema", "up", "--target", target] + args)
                #expect(up.status == 0, "\(up)")
                #expect(up.stdout.contains("applied \(applied)\n2 migration(s) applied"), "\(up)")
                let down = try await CLI.run(["schema", "down", "--steps", "2"] + args)
                #expect(down.status == 0, "\(down)")
                #expect(try await db.value("SELECT to_regclass('users') IS NULL", as: Bool.self), "\(directory)")
                try await db.execute("DROP TABLE pgfast_migrations")
            }
        }
    }

    @Test func createRefusesAnotherToolsDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "pgfast-create-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: URL(filePath: CLI.fixture("migrations/goose")), to: directory)
        let result = try await CLI.run(["schema", "create", directory.path, "add_tags"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("holds goose migrations"))
        #expect(result.stderr.contains("pgfast schema convert --to pgfast"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 3)
    }

    @Test func layoutOptionIsChecked() async throws {
        let result = try await CLI.run(
            ["schema", "status", "--layout", "liquibase", "--migrations", CLI.fixture("migrations/goose")])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("--layout 'liquibase' is not a layout"))
    }

    @Test func realProjectsSqlxMigrationsApplyUnrenamed() async throws {
        try await CLIDatabase.with { url, db in
            let target = ["--database-url", url, "--migrations", CLI.fixture("realworld/svix/migrations")]
            let up = try await CLI.run(["schema", "up"] + target)
            #expect(up.status == 0, "\(up)")
            #expect(up.stdout.contains("13 migration(s) applied in "))
            let tables = try await db.query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).decode(String.self)
            #expect(
                tables == [
                    "application", "applicationmetadata", "endpoint", "endpointmetadata", "eventtype", "message",
                    "messageattempt", "messagedestination", "pgfast_migrations", "queue",
                ])
            let verify = try await CLI.run(["schema", "verify"] + target)
            #expect(verify.status == 0, "\(verify)")
            // And the whole way down again.
            let down = try await CLI.run(["schema", "down", "--steps", "13"] + target)
            #expect(down.status == 0, "\(down)")
            #expect(try await db.value("SELECT to_regclass('application') IS NULL", as: Bool.self))
        }
    }

    @Test(arguments: layouts.map(\.directory) + ["realworld_svix"])
    func convertedSetMakesTheSameSchema(_ directory: String) async throws {
        let source =
            directory == "realworld_svix"
            ? CLI.fixture("realworld/svix/migrations") : CLI.fixture("migrations/\(directory)")
        let out = FileManager.default.temporaryDirectory.appending(path: "pgfast-convert-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let convert = try await CLI.run(["schema", "convert", "--to", "pgfast", source, out.path])
        #expect(convert.status == 0, "\(convert)")
        let original = try MigrationSet.load(directories: [URL(filePath: source)])
        let converted = try MigrationSet.load(directories: [out])
        #expect(converted.style == .pgfast)
        #expect(converted.migrations.map(\.name) == original.migrations.map(\.name))
        #expect(converted.migrations.map(\.runsInTransaction) == original.migrations.map(\.runsInTransaction))
        #expect(converted.migrations.map { $0.downFile != nil } == original.migrations.map { $0.downFile != nil })
        #expect(converted.versions.allSatisfy { $0.count == 14 })

        let schemas = try await [source, out.path].asyncMap { directory in
            try await CLIDatabase.with { url, db in
                let up = try await CLI.run(["schema", "up", "--database-url", url, "--migrations", directory])
                #expect(up.status == 0, "\(up)")
                return try await db.query(
                    """
                    SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
                           || coalesce(' ' || column_default, '') || coalesce(' ' || collation_name, '')
                    FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name <> 'pgfast_migrations'
                    UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
                      AND tablename <> 'pgfast_migrations'
                    UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                      WHERE connamespace = 'public'::regnamespace
                    UNION ALL SELECT proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
                    ORDER BY 1
                    """
                ).decode(String.self)
            }
        }
        #expect(schemas[0] == schemas[1])
        #expect(schemas[0].count > 5)
    }

    @Test func convertRefusesANonEmptyDirectory() async throws {
        let out = FileManager.default.temporaryDirectory.appending(path: "pgfast-convert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: out.appending(path: "notes.txt"))
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try await CLI.run([
            "schema", "convert", "--to", "pgfast", CLI.fixture("migrations/goose"), out.path,
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("refusing to write into"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["notes.txt"])
        let wrongTarget = try await CLI.run([
            "schema", "convert", "--to", "goose", CLI.fixture("migrations/goose"), out.path,
        ])
        #expect(wrongTarget.status == 64, "\(wrongTarget)")
    }

    @Test func convertWritesNoTransactionAndKeepsOrder() async throws {
        let out = FileManager.default.temporaryDirectory.appending(path: "pgfast-convert-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try await CLI.run([
            "schema", "convert", "--to", "pgfast", CLI.fixture("migrations/flyway"), out.path,
        ])
        #expect(result.status == 0, "\(result)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(
            files == [
                "20000101000000_create_users_down.sql", "20000101000000_create_users_up.sql",
                "20000101000001_create_posts_down.sql", "20000101000001_create_posts_up.sql",
                "20000101000002_index_posts_down.sql", "20000101000002_index_posts_up.sql",
            ])
        let index = try String(contentsOf: out.appending(path: "20000101000002_index_posts_up.sql"), encoding: .utf8)
        #expect(index.hasPrefix("-- pgfast:no-transaction\n-- converted from flyway migration 1.10_index_posts"))
    }
}

extension Array {
    /// Maps one element after the other (the databases are made in turn, not at once).
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
