import Testing

@testable import PGFast

/// Issue 12: waiters time out through one timer for the whole line, not a
/// sleeping task each; the timer stops with an empty line and starts again
/// with the next waiter.
@Suite("ConnectionPool waiter timeouts")
struct PoolWaiterTimeoutTests {
    @Test func waitersTimeOutRoundAfterRoundThroughOneTimer() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.maxConnections = 1
            config.acquireTimeout = .milliseconds(200)
            let pool = try await ConnectionPool(config)
            let held = try await pool.acquire()
            for round in 1...2 {
                let codes = await withTaskGroup(of: PostgresError.Code?.self) { group in
                    for _ in 0..<3 {
                        group.addTask {
                            do {
                                pool.release(try await pool.acquire())
                                return nil
                            } catch {
                                return (error as? PostgresError)?.code
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(codes == [.acquireTimeout, .acquireTimeout, .acquireTimeout], "round \(round)")
                #expect(pool.state.withLock { $0.machine.timerRunning } == false, "the timer stops with the line empty")
            }
            let metrics = await pool.metrics
            #expect(metrics.acquireTimeouts == 6)
            #expect(metrics.waiting == 0)
            pool.release(held)
            #expect(try await pool.withConnection { try await $0.value("SELECT 1::int8", as: Int.self) } == 1)
            await pool.close()
        }
    }

    @Test func aServedWaiterIsNotTimedOutLater() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            var config = config
            config.maxConnections = 1
            config.acquireTimeout = .milliseconds(300)
            let pool = try await ConnectionPool(config)
            let held = try await pool.acquire()
            let waiter = Task { try await pool.acquire() }
            _ = await PoolCloseTests.eventually { await pool.metrics.waiting == 1 }
            pool.release(held)
            let connection = try await waiter.value
            // Past the served waiter's deadline: the timer must find nobody to fail.
            try await Task.sleep(for: .milliseconds(500))
            #expect(await pool.metrics.acquireTimeouts == 0)
            #expect(try await connection.value("SELECT 2::int8", as: Int.self) == 2)
            pool.release(connection)
            await pool.close()
        }
    }
}
