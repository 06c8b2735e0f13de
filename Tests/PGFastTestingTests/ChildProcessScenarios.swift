import Foundation
import PGFast
import PGFastTesting
import Testing

/// What child processes run (see ``ChildProcess``); skipped in a normal run.
@Suite(
    .enabled(if: ProcessInfo.processInfo.environment["PGFAST_SCENARIO_OUTPUT"] != nil),
    .isolatedDatabase(migrations: ["fixtures/sets/shop/migrations"], fixtures: ["fixtures/sets/shop/fixtures"])
)
struct ChildProcessScenarios {
    /// Fails on purpose: its database must be kept and its URL printed.
    @Test func fails() async throws {
        let db = try IsolatedDatabase.current
        try await db.execute("INSERT INTO users (id, email, name) VALUES (1, 'failed@example.com', 'Failed')")
        reportToParent(db.name)
        Issue.record("this scenario fails on purpose")
    }

    /// Passes: its databases must be gone when the process has exited.
    /// (The products fixture alone: no test of the parent process uses that template.)
    @Test(.fixtures("products"), arguments: 0..<20)
    func passes(index: Int) async throws {
        let db = try IsolatedDatabase.current
        try await db.execute("INSERT INTO users (id, email, name) VALUES (\(10 + index), \("p\(index)@x"), 'P')")
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 1)
        #expect(try await db.value("SELECT count(*) FROM products", as: Int.self) == 2)
        reportToParent(db.name)
    }

    /// Another run beside one under test, sweeping as it starts: on the users fixture, so that
    /// it takes none of the stock the `passes` runs leave each other.
    @Test(.fixtures("users"), arguments: 0..<4)
    func anotherRun(index: Int) async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) >= 1)
        reportToParent(db.name)
    }

    /// Clones of a template no other test uses, for the strategy tests: measured in one
    /// process, recorded on the template, reused by the next. Its own module makes it its own
    /// (`withIsolatedDatabase` tests of the parent use users and products too, and a factory
    /// there measuring at the same time would record its choice over this one's).
    @Test(.isolatedDatabase(module: "strategy"), .fixtures("users", "products"), arguments: 0..<8)
    func strategy(index: Int) async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM products", as: Int.self) == 2)
        reportToParent(db.name)
    }

    /// Takes a database, says which, and waits to be killed.
    @Test func hangs() async throws {
        let db = try IsolatedDatabase.current
        reportToParent(db.name)
        try await Task.sleep(for: .seconds(120))
    }

    /// Takes three databases, says which, waits for the parent's go (it kills every
    /// connection of this run meanwhile), then finds them intact and usable.
    @Test func survivesBlip() async throws {
        let db = try IsolatedDatabase.current
        let others = [try await IsolatedDatabase.make(), try await IsolatedDatabase.make()]
        for (index, database) in ([db] + others).enumerated() {
            try await database.execute(
                "INSERT INTO users (id, email, name) VALUES (\(index + 1), \("b\(index)@x"), 'B')")
            reportToParent(database.name)
        }
        let go = try #require(ProcessInfo.processInfo.environment["PGFAST_SCENARIO_GO"])
        for _ in 0..<6000 where !FileManager.default.fileExists(atPath: go) {
            try await Task.sleep(for: .milliseconds(20))
        }
        for (index, database) in ([db] + others).enumerated() {
            #expect(try await database.value("SELECT email FROM users", as: String.self) == "b\(index)@x")
            try await database.execute("INSERT INTO users (id, email, name) VALUES (100, 'after@x', 'A')")
        }
        reportToParent("ok")
    }

    /// A test on the big fixture of `PGFAST_SCENARIO_DIR` (about 60 MB).
    @Test(arguments: 0..<40)
    func big(index: Int) async throws {
        let directory = try #require(ProcessInfo.processInfo.environment["PGFAST_SCENARIO_DIR"])
        try await withIsolatedDatabase(
            migrations: [directory + "/migrations"], fixtureDirectories: [directory + "/fixtures"], fixtures: ["big"]
        ) { db in
            #expect(try await db.value("SELECT count(*) FROM big", as: Int.self) == BigFixture.rows)
            try await db.execute("DELETE FROM big WHERE id = \(index + 1)")
            reportToParent(db.name)
        }
    }
}

/// A fixture of about 60 MB, generated on the server (`generate_series`), in a directory of its own.
enum BigFixture {
    static let rows = 110_000

    /// Writes the migrations and the fixture into a new temporary directory.
    static func write() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-big-\(UUID().uuidString)")
        let migrations = directory.appendingPathComponent("migrations")
        let fixtures = directory.appendingPathComponent("fixtures")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: fixtures, withIntermediateDirectories: true)
        try "CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL);\n".write(
            to: migrations.appendingPathComponent("20250101000000_create_big_up.sql"), atomically: true,
            encoding: .utf8)
        try "DROP TABLE big;\n".write(
            to: migrations.appendingPathComponent("20250101000000_create_big_down.sql"), atomically: true,
            encoding: .utf8)
        // 500 characters a row stay in line (under the TOAST threshold): about 60 MB in all.
        try "INSERT INTO big SELECT g, repeat(md5(g::text), 16)::varchar(500) FROM generate_series(1, \(rows)) g;\n"
            .write(
                to: fixtures.appendingPathComponent("20250101000000_big_fixture.sql"), atomically: true,
                encoding: .utf8)
        return directory
    }
}
