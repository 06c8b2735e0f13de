import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import PGFast

/// Issue 12: `close()` waits for every lent and opening connection, whatever
/// state it comes back in, and always returns. Each wait is bounded (30 s) so
/// a regression fails the test instead of hanging the run; the bound is a
/// guard, not a measurement.
@Suite("ConnectionPool.close() under failure")
struct PoolCloseTests {
    /// Whether `operation` finished within `limit`. A hung operation is left behind, not awaited.
    static func returns(
        within limit: Duration = .seconds(30), _ operation: @escaping @Sendable () async -> Void
    ) async -> Bool {
        let outcome = OnceResult()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            outcome.set(continuation)
            Task {
                await operation()
                outcome.resume(returning: true)
            }
            Task {
                try? await Task.sleep(for: limit)
                outcome.resume(returning: false)
            }
        }
    }

    /// Waits until `condition` holds, checking every 20 ms, for at most 30 s.
    static func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
        for _ in 0..<1500 {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Ends the session `pid` from an admin connection, as a server restart or an operator would.
    static func terminate(_ pid: Int32) async throws {
        let admin = try await Connection.connect(try await TestServer.adminConfig())
        try await admin.execute("SELECT pg_terminate_backend(\(pid))")
        await admin.close()
    }

    /// Sessions open on `database`, seen from an admin connection.
    static func sessions(on database: String) async throws -> Int {
        let admin = try await Connection.connect(try await TestServer.adminConfig())
        let count = try await admin.value(
            "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = \(database) AND pid <> pg_backend_pid()",
            as: Int.self)
        await admin.close()
        return count
    }

    /// Starts `close()` and returns once the pool says it is closed (close still waiting).
    static func startClosing(_ pool: ConnectionPool) async -> Task<Void, Never> {
        let closing = Task { await pool.close() }
        _ = await eventually { pool.isClosed }
        return closing
    }

    @Test func closeReturnsWhenALentConnectionIsKilled() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let connection = try await pool.acquire()
            let closing = await Self.startClosing(pool)
            try await Self.terminate(await connection.backendPID)
            // The holder finds out: its next statement fails.
            await #expect(throws: PostgresError.self) { try await connection.execute("SELECT 1") }
            pool.release(connection)
            #expect(
                await Self.returns { await closing.value }, "close() must return once the killed connection is back")
            #expect(await pool.metrics.open == 0)
        }
    }

    @Test func closeReturnsWhenAConnectionComesBackInsideATransaction() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let connection = try await pool.acquire()
            try await connection.execute("BEGIN")
            let closing = await Self.startClosing(pool)
            pool.release(connection)
            #expect(await Self.returns { await closing.value })
            #expect(await pool.metrics.open == 0)
            #expect(try await Self.sessions(on: config.database ?? "") == 0)
        }
    }

    @Test func closeReturnsWhenALentConnectionIsDiscarded() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let connection = try await pool.acquire()
            let closing = await Self.startClosing(pool)
            connection.markReturned()
            pool.discard(connection, replaced: true)
            #expect(await Self.returns { await closing.value })
            #expect(await pool.metrics.connectionsReplaced == 1)
        }
    }

    @Test func closeWaitsForHealthyConnectionsInUse() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let connection = try await pool.acquire()
            let closing = await Self.startClosing(pool)
            let returned = Flag()
            let watcher = Task {
                await closing.value
                returned.set()
            }
            // Still lent: close() keeps waiting, and the holder may still use it.
            #expect(try await connection.value("SELECT 4::int8", as: Int.self) == 4)
            #expect(!returned.isSet)
            pool.release(connection)
            #expect(await Self.returns { await watcher.value })
            #expect(try await Self.sessions(on: config.database ?? "") == 0)
        }
    }

    @Test func databaseConnectBlockReturnsWhenABackgroundConnectionIsKilled() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let holder = Mutex<Task<Void, Never>?>(nil)
            let finished = await Self.returns {
                _ = try? await Database.connect(config) { db in
                    // A task that outlives the block, holding a connection the server then kills.
                    let connection = try await db.pool.acquire()
                    holder.withLock {
                        $0 = Task {
                            _ = await Self.eventually { db.pool.isClosed }
                            try? await Self.terminate(await connection.backendPID)
                            _ = try? await connection.execute("SELECT 1")
                            db.pool.release(connection)
                        }
                    }
                }
            }
            #expect(finished, "Database.connect { } must return once the killed connection is back")
            await holder.withLock { $0 }?.value
        }
    }

    @Test func serviceRunReturnsWhenALentConnectionIsKilled() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let group = ServiceGroup(configuration: .init(services: [pool], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            let connection = try await pool.acquire()
            await group.triggerGracefulShutdown()
            _ = await Self.eventually { pool.isClosed }
            try await Self.terminate(await connection.backendPID)
            _ = try? await connection.execute("SELECT 1")
            pool.release(connection)
            #expect(await Self.returns { _ = try? await running.value }, "the pool's Service.run() must return")
        }
    }

    /// A connection still being opened when `close()` is called: close waits
    /// for it, the acquirer gets ``PostgresError/Code/poolClosed`` instead of a
    /// connection of a closed pool, and the late session is closed on the server.
    ///
    /// The opening is held up for real: an admin transaction renames the
    /// database (uncommitted), which holds the database's lock, so the new
    /// backend waits at startup until the admin rolls back.
    @Test func closeWaitsForAConnectionBeingOpenedAndClosesIt() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.minConnections = 0
            // The held-up open must outlast the lock wait even on a loaded machine.
            config.connectTimeout = .seconds(120)
            let database = config.database ?? ""
            let pool = try await ConnectionPool(config)
            let admin = try await Connection.connect(try await TestServer.adminConfig())
            let oid = try await admin.value(
                "SELECT oid::int8 FROM pg_database WHERE datname = \(database)", as: Int.self)
            try await admin.execute("BEGIN")
            try await admin.execute(
                "ALTER DATABASE \(identifier: database) RENAME TO \(identifier: database + "_held")")
            let acquiring = Task { try await pool.acquire() }
            let blocked = try await Self.eventually {
                let waiting = try await Connection.connect(try await TestServer.adminConfig())
                let count = try await waiting.value(
                    """
                    SELECT count(*)::int8 FROM pg_locks WHERE NOT granted AND locktype = 'object'
                    AND classid = 'pg_database'::regclass AND objid = \(oid)::oid
                    """, as: Int.self)
                await waiting.close()
                return count > 0
            }
            #expect(blocked, "the new backend should wait on the database's lock")
            #expect(await pool.metrics.connecting == 1)

            let returned = Flag()
            let closing = Task {
                await pool.close()
                returned.set()
            }
            _ = await Self.eventually { pool.isClosed }
            #expect(!returned.isSet, "close() must wait for the opening connection")

            try await admin.execute("ROLLBACK")
            await admin.close()
            #expect(await Self.returns { await closing.value })
            let error = await #expect(throws: PostgresError.self) { try await acquiring.value }
            #expect(error?.code == .poolClosed)
            #expect(await pool.metrics.connectionsOpened == 1)
            #expect(await pool.metrics.open == 0)
            // close() returned after PQfinish; the backend's exit follows shortly.
            #expect(try await Self.eventually { try await Self.sessions(on: database) == 0 })
        }
    }

    @Test func closeCalledTwiceReturnsTwice() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let connection = try await pool.acquire()
            let first = await Self.startClosing(pool)
            let second = Task { await pool.close() }
            pool.release(connection)
            #expect(await Self.returns { await first.value })
            #expect(await Self.returns { await second.value })
            #expect(await Self.returns { await pool.close() })
        }
    }

    @Test func waitersFailWhenThePoolCloses() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.maxConnections = 1
            config.acquireTimeout = .seconds(120)
            let pool = try await ConnectionPool(config)
            let connection = try await pool.acquire()
            let waiter = Task { try await pool.acquire() }
            _ = await Self.eventually { await pool.metrics.waiting == 1 }
            let closing = Task { await pool.close() }
            let error = await #expect(throws: PostgresError.self) { try await waiter.value }
            #expect(error?.code == .poolClosed)
            pool.release(connection)
            #expect(await Self.returns { await closing.value })
        }
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let raw = Atomic<Bool>(false)
    func set() { raw.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { raw.load(ordering: .sequentiallyConsistent) }
}

/// A continuation resumed by whichever of two tasks comes first.
final class OnceResult: Sendable {
    private let slot = Mutex<CheckedContinuation<Bool, Never>?>(nil)
    func set(_ continuation: CheckedContinuation<Bool, Never>) { slot.withLock { $0 = continuation } }
    func resume(returning value: Bool) { slot.withLock { $0.take() }?.resume(returning: value) }
}
