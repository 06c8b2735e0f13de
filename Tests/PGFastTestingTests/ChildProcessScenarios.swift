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

    /// Clones of a template no other test uses (users and products), for the strategy
    /// tests: measured in one process, recorded on the template, reused by the next.
    @Test(.fixtures("users", "products"), arguments: 0..<8)
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
}
