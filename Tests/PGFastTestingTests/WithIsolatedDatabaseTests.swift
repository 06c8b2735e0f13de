import Foundation
import PGFast
import Synchronization
import Testing

@testable import PGFastTesting

@Suite struct WithIsolatedDatabaseTests {
    @Test func blockGetsAClonePassingBlockDropsIt() async throws {
        let name = try await withIsolatedDatabase(migrations: Shop.migrations, fixtureDirectories: Shop.fixtures) {
            db async throws in
            #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 0)
            // Inside the block it is also the current one.
            #expect(try IsolatedDatabase.current.name == db.name)
            return db.name
        }
        try await Catalog.drainDrops()
        #expect(try await Catalog.exists(name) == false)
    }

    @Test func fixturesByName() async throws {
        try await withIsolatedDatabase(
            migrations: Shop.migrations, fixtureDirectories: Shop.fixtures, fixtures: ["products", "users"]
        ) { db async throws in
            #expect(try await db.value("SELECT count(*) FROM products", as: Int.self) == 2)
            #expect(try await db.value("SELECT count(*) FROM orders", as: Int.self) == 0)
        }
    }

    @Test func failingBlockKeepsItsDatabaseAndReportsTheURL() async throws {
        struct Boom: Error {}
        let reported = Mutex<(String, String)?>(nil)
        await #expect(throws: Boom.self) {
            let report: @Sendable (KeptReport) -> Void = { kept in
                reported.withLock { $0 = (kept.name, kept.url) }
            }
            try await IsolationScope.run(
                Shop.options, test: "failingBlock", source: "WithIsolatedDatabaseTests.swift:33", reportKept: report
            ) { _, db in
                try await db.execute("INSERT INTO users (id, email, name) VALUES (1, 'kept@example.com', 'Kept')")
                throw Boom()
            }
        }
        let (name, url) = try #require(reported.withLock { $0 })
        #expect(name.hasPrefix("pgfast_kept_"))
        #expect(url.contains(name))
        // The kept database holds what the failed test wrote, and its URL reaches it.
        let kept = try await Database.connect(try DatabaseConfig(url: url))
        #expect(try await kept.value("SELECT email FROM users", as: String.self) == "kept@example.com")
        await kept.close()
        // `pgfast test-db list` knows it as kept; cleanup leaves it unless asked.
        let info = try #require(try await TestDatabases.list().first { $0.name == name })
        #expect(info.kind == .kept)
        #expect(info.ownerAlive == true)
        #expect(info.isOrphan == false)
        // Labelled with the test it came from.
        let label = try #require(info.label)
        #expect(label.test == "failingBlock")
        #expect(label.source == "WithIsolatedDatabaseTests.swift:33")
        #expect(label.run == (try await TestEnvironment.current.shared().owner.hex))
        #expect(abs(label.time.timeIntervalSinceNow) < 600)
        try await Catalog.admin.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
    }

    @Test func makeAddsDatabasesDroppedWithTheBlock() async throws {
        let names = try await withIsolatedDatabase(migrations: Shop.migrations) { db async throws in
            let first = try await IsolatedDatabase.make(Shop.options)
            let second = try await IsolatedDatabase.make(Shop.options)
            #expect(Set([db.name, first.name, second.name]).count == 3)
            return [db.name, first.name, second.name]
        }
        try await Catalog.drainDrops()
        for name in names { #expect(try await Catalog.exists(name) == false) }
    }

    @Test func makeOutsideATestIsDroppedByTheCaller() async throws {
        let database = try await IsolatedDatabase.make(Shop.options)
        #expect(try await Catalog.exists(database.name))
        await database.drop()
        try await Catalog.drainDrops()
        #expect(try await Catalog.exists(database.name) == false)
    }

    @Test func nestedBlocksDoNotDeadlockAFullBudget() async throws {
        let shared = try await TestEnvironment.current.shared()
        // Every slot held by an outer block, each opening an inner one.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<(shared.slotCount + 2) {
                group.addTask {
                    try await withIsolatedDatabase(migrations: Shop.migrations) { outer async throws in
                        try await withIsolatedDatabase(migrations: Shop.migrations) { inner async throws in
                            #expect(inner.name != outer.name)
                            #expect(try await inner.value("SELECT count(*) FROM users", as: Int.self) == 0)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func transactionModeRollsBackOnASharedClone() async throws {
        let options = IsolatedDatabaseOptions(migrations: Shop.migrations, mode: .transaction)
        let first = try await withIsolatedDatabase(options) { db async throws in
            #expect(db.mode == .transaction)
            try await db.execute("INSERT INTO users (id, email, name) VALUES (1, 'tx@example.com', 'Tx')")
            #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 1)
            // A nested transaction is a savepoint inside the test's transaction.
            try? await db.transaction { tx in
                try await tx.execute("INSERT INTO users (id, email, name) VALUES (2, 'nested@example.com', 'N')")
                throw CancellationError()
            }
            #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 1)
            return db.name
        }
        let second = try await withIsolatedDatabase(options) { db async throws in
            #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 0)
            return db.name
        }
        #expect(first == second)
        #expect(try await Catalog.exists(first))
    }

    @Test func manyAtOnceStayWithinTheConnectionBudget() async throws {
        let shared = try await TestEnvironment.current.shared()
        let count = shared.slotCount * 2 + 5
        let holding = PeakCounter()
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await withIsolatedDatabase(migrations: Shop.migrations) { db async throws in
                        holding.enter()
                        defer { holding.leave() }
                        try await db.execute(
                            "INSERT INTO users (id, email, name) VALUES (\(index), \("u\(index)@x"), 'Many')")
                        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 1)
                        return db.name
                    }
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(names.count == count)
        // Never more databases held at once than the process's share of the server allows.
        #expect(holding.peak <= shared.slotCount)
        let maxConnections = try await Catalog.admin.value(
            "SELECT current_setting('max_connections')::int", as: Int.self)
        let used = try await Catalog.admin.value("SELECT count(*) FROM pg_stat_activity", as: Int.self)
        #expect(used < maxConnections)
    }
}
