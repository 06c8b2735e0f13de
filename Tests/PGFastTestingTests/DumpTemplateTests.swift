import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// A template made from a real `pg_dump` file (schema, functions, a view, a trigger,
/// sequences and `COPY` data): every test gets its own copy of it.
@Suite(
    .isolatedDatabase(
        template: .dump("fixtures/scripts/pg_dump_sample.sql"), fixtures: ["fixtures/sets/dump_shop/fixtures"]))
struct DumpTemplateTests {
    static let meeting = Rendezvous(parties: 2)

    /// Eight tests at once write the same rows and take the same sequence values:
    /// on a shared database they would collide or count each other's rows.
    @Test(arguments: 0..<8)
    func eachTestWritesItsOwnCopyOfTheDump(index: Int) async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM shop.users", as: Int.self) == 4)
        let id = try await db.value(
            "INSERT INTO shop.users (email) VALUES (\("  Same@Example.COM ")) RETURNING id", as: Int.self)
        #expect(id == 5)  // the dump's setval(…, 4), untouched by the other tests' inserts
        try await db.execute(
            "INSERT INTO shop.orders (user_id, status, total) VALUES (\(id), 'paid', \(Decimal(index)))")
        _ = await Self.meeting.arrive()
        // The trigger from the dump normalized the email; the unique key saw one row only.
        #expect(
            try await db.value("SELECT count(*) FROM shop.users WHERE email = 'same@example.com'", as: Int.self) == 1)
        #expect(
            try await db.value("SELECT total FROM shop.user_totals WHERE id = \(id)", as: Decimal.self)
                == Decimal(index))
        #expect(try await db.value("SELECT shop.order_count(\(id))", as: Int.self) == 1)
    }

    @Test func theDumpsDataAndDefinitionsAreThere() async throws {
        let db = try IsolatedDatabase.current
        #expect(
            try await db.value("SELECT bio FROM shop.users WHERE id = 3", as: String.self)
                == #"back\slash and ; semicolon"#)
        #expect(try await db.value("SELECT note FROM shop.orders WHERE id = 3", as: String.self) == "multi\nline")
        #expect(
            try await db.value("SELECT obj_description('shop'::regnamespace, 'pg_namespace')", as: String.self)
                == #"Shop data; it's "quoted""#)
        let status = try await db.value(
            "SELECT enum_range(NULL::shop.order_status)::text", as: String.self)
        #expect(status == "{new,paid,shipped}")
        await #expect(throws: PostgresError.self) {
            try await db.execute("INSERT INTO shop.orders (user_id, total) VALUES (999, 1)")  // the dump's foreign key
        }
    }

    /// Fixtures on a dump have no migration versions to match: they load in file-name
    /// order (`001_more_users` before `002_more_orders`), whatever order they are named in.
    @Test(.fixtures("more_orders", "more_users"))
    func fixturesLoadOnTopOfTheDumpInFileNameOrder() async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM shop.users", as: Int.self) == 6)
        #expect(
            try await db.value(
                "SELECT count(*) FROM shop.orders o JOIN shop.users u ON u.id = o.user_id WHERE u.email = 'erin@example.com'",
                as: Int.self) == 2)
    }

    @Test(.fixtures("more_users"))
    func onlyTheNamedFixturesLoad() async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM shop.users", as: Int.self) == 6)
        #expect(try await db.value("SELECT count(*) FROM shop.orders", as: Int.self) == 3)
    }

    @Test(.isolatedDatabase(.transaction))
    func transactionModeWorksOnADumpToo() async throws {
        let db = try IsolatedDatabase.current
        try await db.execute("DELETE FROM shop.orders")
        #expect(try await db.value("SELECT count(*) FROM shop.orders", as: Int.self) == 0)
    }
}

/// Broken and changed dumps: clear errors naming the file and line, nothing left behind.
@Suite struct DumpTemplateErrorTests {
    static let sample = URL(fileURLWithPath: ProjectRoot.find())
        .appendingPathComponent("fixtures/scripts/pg_dump_sample.sql")

    /// A copy of the sample dump with `edit` applied to its lines, in a directory of its own.
    static func dump(_ edit: (inout [String]) -> Void) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-dump-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lines = try String(contentsOf: Self.sample, encoding: .utf8).components(separatedBy: "\n")
        edit(&lines)
        let url = directory.appendingPathComponent("structure.sql")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func aStatementTheServerRejectsNamesTheDumpAndLineAndLeavesNothing() async throws {
        var line = 0
        let url = try Self.dump { lines in
            let index = lines.firstIndex(of: "CREATE TABLE shop.users (")!
            lines[index] = "CREAT TABLE shop.users ("
            line = index + 1
        }
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(template: .dump(url.path)) { _ in }
        }
        #expect(error?.code == .templateBuildFailed)
        #expect(error?.file == url.path)
        #expect(error?.line == line)
        #expect(error?.message.contains("\(url.path):\(line): the dump failed (42601)") == true)
        #expect((error?.underlying as? PostgresError)?.sqlState == .syntaxError)
        // Nothing half-built remains: no build database, no template, for this dump.
        let recipe = try await TemplateRecipe.of(.dump(url.path))
        #expect(try await Catalog.databases(startingWith: "pgfast_build_\(recipe.lineage)_").isEmpty)
        #expect(try await Catalog.databases(startingWith: "pgfast_tpl_\(recipe.lineage)_").isEmpty)
    }

    @Test func aDumpThatDoesNotSplitFailsBeforeAnyDatabaseExists() async throws {
        var line = 0
        let url = try Self.dump { lines in
            // A quote opened on the last statement is never closed.
            lines.append("COMMENT ON TABLE shop.users IS 'never closed;")
            line = lines.count
        }
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = await #expect(throws: IsolatedDatabaseError.self) { try await TemplateRecipe.of(.dump(url.path)) }
        #expect(error?.code == .templateBuildFailed)
        #expect(error?.file == url.path)
        #expect(error?.line == line)
        #expect(error?.message.contains("\(url.path):\(line):") == true)
        #expect((error?.underlying as? SQLScriptError)?.code == .unterminatedQuote)
    }

    @Test func aMissingDumpNamesItsPath() async throws {
        let error = await #expect(throws: IsolatedDatabaseError.self) {
            try await withIsolatedDatabase(template: .dump("fixtures/scripts/no_such_dump.sql")) { _ in }
        }
        #expect(error?.code == .templateBuildFailed)
        #expect(error?.message.contains("fixtures/scripts/no_such_dump.sql") == true)
    }

    /// The dump is keyed by its content: an unchanged file reuses the template, an edit makes a new one.
    @Test func anEditedDumpBuildsANewTemplateAndTheOldOneIsKept() async throws {
        let url = try Self.dump { _ in }
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let original = try await TemplateRecipe.of(.dump(url.path))
        #expect(try await TemplateRecipe.of(.dump(url.path)).key == original.key)
        #expect(try await TemplateStore.asNewProcess().template(for: original) == original.name)
        let again = try await TemplateStore.asNewProcess()
        #expect(try await again.template(for: TemplateRecipe.of(.dump(url.path))) == original.name)
        #expect(await again.builds.isEmpty)
        try (String(contentsOf: url, encoding: .utf8) + "\nALTER TABLE shop.users ADD COLUMN nickname text;\n")
            .write(to: url, atomically: true, encoding: .utf8)
        let edited = try await TemplateRecipe.of(.dump(url.path))
        #expect(edited.lineage == original.lineage)
        #expect(edited.key != original.key)
        // A new process (a fresh store) builds the edited dump; the superseded template stays,
        // as the last few of a lineage do (switching branches back does not rebuild).
        let store = try await TemplateStore.asNewProcess()
        #expect(try await store.template(for: edited) == edited.name)
        #expect(await store.builds == [edited.name])
        #expect(try await Catalog.exists(original.name))
        try await Catalog.dropTemplate(edited.name)
        try await Catalog.dropTemplate(original.name)
    }
}
