import Foundation
import PGFast
import Synchronization
import Testing

@testable import PGFastTesting

@Suite(.isolatedDatabase(migrations: ["fixtures/sets/shop/migrations"], fixtures: ["fixtures/sets/shop/fixtures"]))
struct IsolatedDatabaseTraitTests {
    static let meeting = Rendezvous(parties: 2)

    @Test func eachTestStartsOnAMigratedEmptyClone() async throws {
        let db = try IsolatedDatabase.current
        #expect(db.name.hasPrefix("pgfast_t_"))
        #expect(db.mode == .clone)
        #expect(try await db.value("SELECT current_database()::text", as: String.self) == db.name)
        let tables = try await db.query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).decode(String.self)
        #expect(Set(["users", "products", "orders"]).isSubset(of: Set(tables)))
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 0)
    }

    @Test func writerA() async throws { try await writeTheSameRowsAsTheOtherWriter() }
    @Test func writerB() async throws { try await writeTheSameRowsAsTheOtherWriter() }

    /// Both writers insert the same primary key and email, meet, then count:
    /// on a shared database one would fail or count two.
    private func writeTheSameRowsAsTheOtherWriter() async throws {
        let db = try IsolatedDatabase.current.database
        try await db.execute("INSERT INTO users (id, email, name) VALUES (1, 'same@example.com', 'Same')")
        _ = await Self.meeting.arrive()
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 1)
        try await db.execute("UPDATE users SET name = 'Changed' WHERE id = 1")
        #expect(try await db.value("SELECT count(*) FROM users WHERE name = 'Changed'", as: Int.self) == 1)
    }

    @Test(.fixtures("orders", "users", "products"))
    func fixturesLoadInMigrationOrder() async throws {
        // orders references users and products: it only loads after them, whatever order the names come in.
        let db = try IsolatedDatabase.current
        let counts = try await db.query(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM products), (SELECT count(*) FROM orders)"
        ).decode((Int, Int, Int).self)
        #expect(counts.first! == (2, 2, 2))
        #expect(try await db.value("SELECT name FROM users WHERE id = 2", as: String.self) == "Bob O'Brien")
        #expect(
            try await db.value("SELECT title FROM products WHERE sku = 'TEA-01'", as: String.self)
                == "Green tea; loose leaf")
    }

    @Test(.fixtures("users"))
    func onlyTheNamedFixturesLoad() async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 2)
        #expect(try await db.value("SELECT count(*) FROM products", as: Int.self) == 0)
    }

    @Test func theDatabaseIsVisibleInChildTasks() async throws {
        let name = try IsolatedDatabase.current.name
        async let fromChild = IsolatedDatabase.current.name
        let fromGroup = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<3 { group.addTask { try IsolatedDatabase.current.name } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(try await fromChild == name)
        #expect(fromGroup == [name])
    }

    @Test func urlReachesTheSameDatabase() async throws {
        let current = try IsolatedDatabase.current
        try await current.execute("INSERT INTO users (id, email, name) VALUES (7, 'url@example.com', 'Url')")
        let email = try await Database.connect(try DatabaseConfig(url: current.url)) { other in
            try await other.value("SELECT email FROM users WHERE id = 7", as: String.self)
        }
        #expect(email == "url@example.com")
    }

    @Test func makeGivesAnotherDatabaseDroppedWithTheTest() async throws {
        let current = try IsolatedDatabase.current
        let other = try await IsolatedDatabase.make()  // made like this test's: the shop set
        #expect(other.name != current.name)
        try await other.execute("INSERT INTO users (id, email, name) VALUES (1, 'other@example.com', 'Other')")
        #expect(try await current.value("SELECT count(*) FROM users", as: Int.self) == 0)
        #expect(try await other.value("SELECT count(*) FROM users", as: Int.self) == 1)
    }

    @Test(.isolatedDatabase(.transaction))
    func transactionModeTestRunsInsideATransaction() async throws {
        let db = try IsolatedDatabase.current
        #expect(db.mode == .transaction)
        // The test's trait changes the mode and keeps the suite's directories (the shop set).
        #expect(db.name.hasPrefix("pgfast_t_"))
        try await db.execute("INSERT INTO users (id, email, name) VALUES (1, 'tx@example.com', 'Tx')")
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 1)
        // Inside the test's transaction: now() is the transaction's start, older than this statement.
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await db.value("SELECT now() < statement_timestamp()", as: Bool.self))
    }
}

@Suite struct IsolatedDatabaseOutsideATestTests {
    @Test func currentThrowsAClearErrorOutsideAnIsolatedTest() throws {
        let error = #expect(throws: IsolatedDatabaseError.self) { try IsolatedDatabase.current }
        #expect(error?.code == .notInIsolatedTest)
        #expect(error?.description.contains(".isolatedDatabase") == true)
        #expect(error?.description.contains("withIsolatedDatabase") == true)
    }
}
