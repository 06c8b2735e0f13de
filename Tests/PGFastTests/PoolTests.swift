import Foundation
import Logging
import PGFast
import PGFastTesting
import ServiceLifecycle
import Testing

@Suite("ConnectionPool")
struct PoolTests {
    /// Waits (up to 30 s) for `condition`: a state reached, not a time assumed.
    static func eventually(_ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func twoHundredTasksShareFiveConnections() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.minConnections = 0
            config.maxConnections = 5
            config.acquireTimeout = .seconds(120)  // sharing is the point, not speed: a loaded machine waits
            try await Database.connect(config) { db in
                let total = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<200 {
                        group.addTask { try await db.value("SELECT \(i)::int8, pg_sleep(0.001)", as: Int.self) }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(total == (0..<200).reduce(0, +))
                let metrics = await db.pool.metrics
                #expect(metrics.open <= 5)
                #expect(metrics.acquired >= 200)
                #expect(metrics.inUse == 0)
                #expect(metrics.waiting == 0)
            }
        }
    }

    @Test func exhaustedPoolFailsWithAcquireTimeout() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.maxConnections = 2
            config.acquireTimeout = .milliseconds(300)
            let pool = try await ConnectionPool(config)
            // The holders keep their connections until released, however long a loaded machine
            // takes to get here (a timed `pg_sleep` could end before the third acquire times out).
            let (released, release) = AsyncStream<Void>.makeStream()
            let holders = (0..<2).map { _ in
                Task {
                    try await pool.withConnection { connection in
                        try await connection.execute("SELECT 1")
                        for await _ in released { break }
                    }
                }
            }
            // Both lent before the third asks.
            #expect(await Self.eventually { await pool.metrics.inUse == 2 })
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try await $0.execute("SELECT 1") }
            }
            #expect(error?.code == .acquireTimeout)
            #expect(error?.message.contains("pool size 2") == true)
            #expect(error?.message.contains("300") == true)
            #expect(await pool.metrics.acquireTimeouts == 1)
            release.finish()
            for holder in holders { _ = try await holder.value }
            // Once the holders are done, the pool serves again.
            #expect(try await pool.withConnection { try await $0.value("SELECT 1::int8", as: Int.self) } == 1)
            await pool.close()
        }
    }

    @Test func brokenConnectionIsReplaced() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { db in
            let pid = try await db.value("SELECT pg_backend_pid()::int8", as: Int.self)
            // Kill the pooled session from another connection, as a server restart would.
            let admin = try await Connection.connect(try await TestServer.adminConfig())
            // With a timeout, pg_terminate_backend returns once the session is gone (a fixed
            // 100 ms pause was a guess that a loaded machine could miss).
            try await admin.execute("SELECT pg_terminate_backend(\(pid)::int4, 30000)")
            await admin.close()
            let newPID = try await db.value("SELECT pg_backend_pid()::int8", as: Int.self)
            #expect(newPID != pid)
            #expect(await db.pool.metrics.connectionsReplaced == 1)
        }
    }

    @Test func closeWaitsForWorkInFlight() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let work = Task {
                try await pool.withConnection { try await $0.value("SELECT 5::int8 FROM pg_sleep(0.3)", as: Int.self) }
            }
            // Closed once the work holds its connection (before that, its acquire would meet a closed pool).
            #expect(await PoolTests.eventually { await pool.metrics.inUse == 1 })
            await pool.close()
            #expect(try await work.value == 5)
            #expect(await pool.metrics.open == 0)
            let error = await #expect(throws: PostgresError.self) { try await pool.acquire() }
            #expect(error?.code == .poolClosed)
        }
    }

    @Test func cancelledWaiterLeavesTheLine() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { db in
            // Held until released: the waiter cannot get the connection before it is cancelled.
            let (released, release) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await db.withConnection { _ in
                    for await _ in released { break }
                }
            }
            #expect(await Self.eventually { await db.pool.metrics.inUse == 1 })
            let waiter = Task { try await db.value("SELECT 1::int8", as: Int.self) }
            #expect(await Self.eventually { await db.pool.metrics.waiting == 1 })
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            release.finish()
            _ = try await holder.value
            #expect(await db.pool.metrics.waiting == 0)
            #expect(try await db.value("SELECT 2::int8", as: Int.self) == 2)
        }
    }

    @Test func invalidSizesAreRejected() async throws {
        var config = try DatabaseConfig(url: "postgresql://localhost/x")
        config.minConnections = 3
        config.maxConnections = 2
        let error = await #expect(throws: PostgresError.self) { try await ConnectionPool(config) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("minConnections (3)") == true)
    }

    @Test func timeoutsAreAppliedAsServerSettings() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.statementTimeout = .milliseconds(1500)
            config.lockTimeout = .seconds(2)
            config.idleInTransactionSessionTimeout = .seconds(60)
            config.applicationName = "orders"
            let db = try await Database.connect(config)
            #expect(try await db.value("SHOW statement_timeout", as: String.self) == "1500ms")
            #expect(try await db.value("SHOW lock_timeout", as: String.self) == "2s")
            #expect(try await db.value("SHOW idle_in_transaction_session_timeout", as: String.self) == "1min")
            #expect(try await db.value("SHOW application_name", as: String.self) == "orders")
            let error = await #expect(throws: PostgresError.self) { try await db.execute("SELECT pg_sleep(3)") }
            #expect(error?.sqlState == .queryCanceled)
            await db.close()
        }
    }

    @Test func slowQueriesAreCounted() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            // The sleep is always over the threshold (the clock starts before the send); the
            // threshold is far above what a `SELECT 1` takes even at load 25 (50 ms was not).
            config.slowQueryThreshold = .seconds(2)
            let db = try await Database.connect(config)
            try await db.execute("SELECT pg_sleep(2.1)")
            #expect(await db.pool.metrics.slowQueries == 1)
            try await db.execute("SELECT 1")
            let metrics = await db.pool.metrics
            #expect(metrics.slowQueries == 1)
            #expect(metrics.queries >= 2)
            await db.close()
        }
    }
}

@Suite("ConnectionPool as a Service")
struct PoolServiceTests {
    @Test func closesWhenTheServiceGroupShutsDown() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let group = ServiceGroup(
                configuration: .init(services: [pool], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            #expect(try await Database(pool: pool).value("SELECT 3::int8", as: Int.self) == 3)
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(pool.isClosed)
            #expect(await pool.metrics.open == 0)
        }
    }
}

@Suite("ConnectionPool across a server restart")
struct PoolRestartTests {
    @Test func servesAgainAfterTheServerRestarts() async throws {
        // A private cluster: restarting the shared one would disturb the other tests.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-restart-\(UUID())").path
        let server = try await EmbeddedServer.start(directory: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = try DatabaseConfig(url: server.socketURL)
        config.minConnections = 2
        config.maxConnections = 2
        let pool = try await ConnectionPool(config)
        let db = Database(pool: pool)
        #expect(try await db.value("SELECT 1::int8", as: Int.self) == 1)

        try await server.restart()

        // The same pool, not rebuilt: the dead sessions are noticed and replaced.
        for _ in 0..<5 {
            #expect(try await db.value("SELECT 2::int8", as: Int.self) == 2)
        }
        #expect(await pool.metrics.connectionsReplaced >= 1)
        await pool.close()
        try await server.stop()
    }
}
