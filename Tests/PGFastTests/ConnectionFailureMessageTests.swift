import Foundation
import Logging
import Testing

@testable import PGFast

/// What a broken session and an overflowing bind tell the user and the log.
@Suite("Connection failure messages")
struct ConnectionFailureMessageTests {
    @Test func serverFatalIsLoggedAsAnErrorAndTheLostConnectionErrorHasNoSocketNoise() async throws {
        let sink = RecordingLogHandler.Storage()
        let logger = Logger(label: "fatal") { _ in RecordingLogHandler(storage: sink) }
        let admin = try await Connection.connect(try await TestServer.adminConfig())
        let victim = try await Connection.connect(try await TestServer.adminConfig(), logger: logger)
        let pid = await victim.backendPID
        #expect(try await admin.value("SELECT pg_terminate_backend(\(pid))", as: Bool.self))
        // Wait for the backend to be gone, then let the idle connection read what it said.
        for _ in 0..<200 {
            let alive = try await admin.value("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)", as: Int.self)
            if alive == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // The FATAL and the end of the stream may arrive apart: read until libpq sees both.
        var reusable = true
        for _ in 0..<200 where reusable {
            reusable = victim.isReusable()
            if reusable { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(!reusable)
        let fatal = sink.messages.filter { $0.contains("terminating connection due to administrator command") }
        #expect(!fatal.isEmpty, "\(sink.messages)")
        #expect(fatal.allSatisfy { $0.hasPrefix("error ") }, "\(fatal)")

        // A session killed while idle, then used: the error says what happened, without
        // the "invalid socket" line libpq appends when it next meets the closed socket.
        let second = try await Connection.connect(try await TestServer.adminConfig(), logger: logger)
        let secondPID = await second.backendPID
        #expect(try await admin.value("SELECT pg_terminate_backend(\(secondPID))", as: Bool.self))
        for _ in 0..<200 {
            let alive = try await admin.value(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = \(secondPID)", as: Int.self)
            if alive == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        for connection in [second, victim] {
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT \(1)") }
            #expect(error?.code == .connectionClosed)
            let lines = error?.message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
            #expect(!lines.isEmpty)
            #expect(!lines.contains("invalid socket"), "\(error?.message ?? "")")
            #expect(lines.count == 1 || lines.last != "no connection to the server", "\(error?.message ?? "")")
            let script = await #expect(throws: PostgresError.self) { try await connection.execute(script: "SELECT 1") }
            #expect(script?.message.contains("invalid socket") == false, "\(script?.message ?? "")")
        }
        await second.close()
        await victim.close()
        await admin.close()
    }

    @Test func aSessionKilledMidStatementSaysSoWithoutSocketNoise() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let admin = try await Connection.connect(config)
            var pooled = config
            pooled.minConnections = 1
            pooled.maxConnections = 1
            try await Database.connect(pooled) { (db: Database) async throws in
                // The pooled (leased) path and a pinned connection's thread.
                for pinned in [false, true] {
                    let marker = "pgfast_killed_\(pinned)"
                    let statement = "SELECT pg_sleep(60), '\(marker)'"
                    let victim = Task {
                        if pinned {
                            try await db.withConnection { try await $0.execute(SQL(unsafeRaw: statement)) }
                        } else {
                            try await db.execute(SQL(unsafeRaw: statement))
                        }
                    }
                    var killed = false
                    for _ in 0..<1000 where !killed {
                        killed = try await admin.value(
                            """
                            SELECT count(pg_terminate_backend(pid)) > 0 FROM pg_stat_activity
                            WHERE query = \(statement) AND state = 'active'
                            """, as: Bool.self)
                        if !killed { try await Task.sleep(for: .milliseconds(10)) }
                    }
                    #expect(killed)
                    let outcome = await victim.result
                    let error = #expect(throws: PostgresError.self) { try outcome.get() }
                    #expect(error?.message.contains("invalid socket") == false, "\(error?.message ?? "")")
                    #expect(error?.code == .connectionClosed)
                    #expect(error?.message.hasPrefix("server closed the connection") == true, "\(error?.message ?? "")")
                }
                // The pool replaced the broken connection.
                #expect(try await db.value("SELECT \(1)::int4", as: Int.self) == 1)
            }
            await admin.close()
        }
    }

    @Test func socketNoiseIsDroppedFromLibpqMessages() {
        #expect(
            Connection.withoutSocketNoise(
                "server closed the connection unexpectedly\n\tThis probably means…\ninvalid socket\n")
                == "server closed the connection unexpectedly\n\tThis probably means…")
        #expect(Connection.withoutSocketNoise("invalid socket\n") == "invalid socket")
        #expect(NoticeSink.level(severity: "FATAL") == .error)
        #expect(NoticeSink.level(severity: "PANIC") == .error)
        #expect(NoticeSink.level(severity: "WARNING") == .warning)
        #expect(NoticeSink.level(severity: "NOTICE") == .info)
    }

    @Test func intMaxIntoAnInt4NamesTheParameter() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute("CREATE TABLE counters (name text, n int4, small int2)")
            let insert = await #expect(throws: PostgresError.self) {
                try await db.execute("INSERT INTO counters (name, n) VALUES (\("a"), \(Int.max))")
            }
            #expect(insert?.sqlState == .numericValueOutOfRange)
            #expect(insert?.message.contains("$2 (an int8 bind) does not fit int4") == true, "\(insert?.message ?? "")")
            #expect(insert?.description.contains("$2") == true)
            #expect(insert?.description.contains("\(Int.max)") == false)
            let cast = await #expect(throws: PostgresError.self) {
                try await db.query("SELECT \(Int(Int32.max) + 1)::int4")
            }
            #expect(cast?.message.contains("$1 (an int8 bind) does not fit int4") == true)
            let small = await #expect(throws: PostgresError.self) {
                try await db.execute("INSERT INTO counters (small) VALUES (\(Int32(40_000)))")
            }
            #expect(small?.message.contains("$1 (an int4 bind) does not fit int2") == true, "\(small?.message ?? "")")
            // Values that fit are not blamed.
            let division = await #expect(throws: PostgresError.self) {
                try await db.query("SELECT (\(1)::int4 * 2147483647 * 2)")
            }
            #expect(division?.message.contains("$1") == false)
        }
    }
}
