import PGFast
import PGFastTesting
import Synchronization
import Testing

/// A hundred tests, each on its own clone: run in parallel by default, and
/// serially with `swift test --no-parallel` (CI runs both).
@Suite(.isolatedDatabase(migrations: ["fixtures/sets/shop/migrations"], fixtures: ["fixtures/sets/shop/fixtures"]))
struct HundredIsolatedTests {
    static let seen = Mutex<Set<String>>([])

    @Test(.fixtures("users"), arguments: 0..<100)
    func eachCaseOwnsItsDatabase(index: Int) async throws {
        let db = try IsolatedDatabase.current
        let isNew = Self.seen.withLock { $0.insert(db.name).inserted }
        #expect(isNew, "database \(db.name) handed to two tests")
        try await db.execute(
            "INSERT INTO users (id, email, name) VALUES (\(100 + index), \("user\(index)@example.com"), 'Case')")
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 3)
        #expect(try await db.value("SELECT count(*) FROM users WHERE name = 'Case'", as: Int.self) == 1)
    }
}
