import Foundation
import PGFast
import Testing

/// `Database.query` without a pinned connection: on Linux the statement is sent
/// from the caller's thread with non-blocking libpq and awaited on the socket
/// reactor. These cover that path's edges: large sends and results, errors,
/// cancellation, COPY, and a session killed mid-statement.
@Suite("Pooled statements (per-query path)")
struct PooledQueryTests {
    /// Whether session `pid` is running a `pg_sleep` right now, as the server sees it.
    static func isSleeping(pid: Int) async throws -> Bool {
        let admin = try await Connection.connect(try await TestServer.adminConfig())
        let sleeping = try? await admin.value(
            "SELECT count(*)::int8 FROM pg_stat_activity WHERE pid = \(pid) AND state = 'active' AND query LIKE 'SELECT pg_sleep%'",
            as: Int.self)
        await admin.close()
        return sleeping == 1
    }

    @Test func largeBindIsSentWhileTheSocketIsFull() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            // Far more than a socket buffer: libpq's flush has to wait for the socket to drain.
            let bytes = [UInt8]((0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let length = try await db.value("SELECT length(\(bytes))::int8", as: Int.self)
            #expect(length == bytes.count)
            let echoed = try await db.value("SELECT \(bytes)", as: [UInt8].self)
            #expect(echoed == bytes)
        }
    }

    @Test func largeResultArrivesOverManyReads() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let rows = try await db.query(
                "SELECT g::int8, repeat('x', 100) FROM generate_series(1, \(50_000)) g")
            let decoded = try rows.decode((Int, String).self)
            #expect(decoded.count == 50_000)
            #expect(decoded.last?.0 == 50_000)
            #expect(decoded.allSatisfy { $0.1.count == 100 })
        }
    }

    @Test func serverErrorLeavesTheConnectionUsable() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let error = await #expect(throws: PostgresError.self) {
                try await db.value("SELECT 1 / \(0)", as: Int.self)
            }
            #expect(error?.sqlState == .divisionByZero)
            #expect(error?.query == "SELECT 1 / $1")
            #expect(try await db.value("SELECT 3::int8", as: Int.self) == 3)
            #expect(await db.pool.metrics.connectionsReplaced == 0)
        }
    }

    @Test func cancellingAPooledStatementCancelsItAndKeepsTheConnection() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let pid = try await db.value("SELECT pg_backend_pid()::int8", as: Int.self)
            try await db.execute("CREATE TABLE finished (id int)")
            // Had the server not cancelled it, the insert would run after the sleep. The sleep is long:
            // under load (the whole suite at load 20) a cancel request took over 5 s to land.
            let task = Task { try await db.execute(script: "SELECT pg_sleep(300); INSERT INTO finished VALUES (1)") }
            #expect(await PoolTests.eventually { (try? await Self.isSleeping(pid: pid)) == true })
            task.cancel()
            let outcome = await task.result
            #expect(throws: CancellationError.self) { try outcome.get() }
            // The same session serves the next statement (after the cancelled one, whatever the
            // machine's speed): the statement was cancelled on the server, not left to finish.
            #expect(try await db.value("SELECT pg_backend_pid()::int8", as: Int.self) == pid)
            #expect(try await db.value("SELECT count(*)::int8 FROM finished", as: Int.self) == 0)
        }
    }

    @Test func copyWithoutDataFailsAndLeavesTheConnectionUsable() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            try await db.execute("CREATE TABLE c (id int)")
            let error = await #expect(throws: PostgresError.self) {
                try await db.execute("COPY c FROM stdin")
            }
            #expect(error?.code == .protocolViolation)
            #expect(try await db.value("SELECT count(*)::int8 FROM c", as: Int.self) == 0)
        }
    }

    @Test func sessionKilledMidStatementFailsItAndIsReplaced() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let pid = try await db.value("SELECT pg_backend_pid()::int8", as: Int.self)
            // Killed once the statement runs: killed before it was sent (200 ms was not enough at
            // load 21), the pool replaced the dead session and the statement ran to its end.
            let task = Task { try await db.execute("SELECT pg_sleep(300)") }
            #expect(await PoolTests.eventually { (try? await Self.isSleeping(pid: pid)) == true })
            let admin = try await Connection.connect(try await TestServer.adminConfig())
            try await admin.execute("SELECT pg_terminate_backend(\(pid)::int4)")
            await admin.close()
            let error = await #expect(throws: PostgresError.self) { try await task.value }
            #expect(error?.code == .connectionClosed)
            let newPID = try await db.value("SELECT pg_backend_pid()::int8", as: Int.self)
            #expect(newPID != pid)
        }
    }

    @Test func manyConnectionsWaitOnTheReactorAtOnce() async throws {
        try await TestServer.withDatabase(minConnections: 8, maxConnections: 8) { (db: Database) async throws in
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        var sum = 0
                        for i in 0..<100 { sum += try await db.value("SELECT \(task * 100 + i)::int8", as: Int.self) }
                        return sum
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == (0..<1600).reduce(0, +))
        }
    }
}

@Suite("Columns by name")
struct ColumnLookupTests {
    @Test(arguments: [3, 12])
    func firstColumnOfANameWins(width: Int) async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            // `width` columns c0…c(width-1), then a second "c1": narrow results are searched, wide ones hashed.
            let list = (0..<width).map { "\($0)::int8 AS c\($0)" }.joined(separator: ", ")
            let rows = try await db.query(SQL(unsafeRaw: "SELECT \(list), 99::int8 AS c1"))
            let row = try #require(rows.first)
            #expect(try row.decode(Int.self, column: "c1") == 1)
            #expect(try row.decode(Int.self, column: "c\(width - 1)") == width - 1)
            #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "missing") }
            #expect(rows.affectedRows == 1)
        }
    }
}

@Suite("Cancellation racing completion")
struct CancellationRaceTests {
    @Test func aCancelNeverLandsOnTheNextStatement() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let pid = try await db.value("SELECT pg_backend_pid()::int8", as: Int.self)
            for attempt in 0..<40 {
                // Cancel at about the moment the statement finishes, on either path.
                let statement = Task {
                    if attempt % 2 == 0 {
                        try await db.execute("SELECT pg_sleep(0.002)")
                    } else {
                        try await db.withConnection { try await $0.execute("SELECT pg_sleep(0.002)") }
                    }
                }
                try await Task.sleep(for: .microseconds(500 * (attempt % 8)))
                statement.cancel()
                _ = await statement.result
                // Whatever happened to it, the next statement runs to its end.
                #expect(try await db.value("SELECT 1::int8 FROM pg_sleep(0.01)", as: Int.self) == 1)
            }
            #expect(try await db.value("SELECT pg_backend_pid()::int8", as: Int.self) == pid)
        }
    }
}
