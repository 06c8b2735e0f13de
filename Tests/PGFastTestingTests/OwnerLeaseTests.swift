import Foundation
import PGFast
import Testing

@testable import PGFastTesting

/// Leases that survive a blip: a run whose connections are all killed keeps its
/// databases; a run that is really gone is swept once its heartbeat is older than the grace.
@Suite(.enabled(if: ChildProcess.isSupported), .serialized)
struct OwnerLeaseTests {
    /// Waits until the run's heartbeat has stamped `name` (it beats every 2 s); an older stamp
    /// (a stock clone made from an earlier run's clone) does not count.
    static func waitForHeartbeat(on name: String) async throws {
        let start = try await Catalog.admin.value("SELECT extract(epoch FROM now())::float8", as: Double.self)
        for _ in 0..<500 {
            let comment = try await Catalog.admin.value(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = \(name)",
                as: String?.self)
            if let beat = Liveness.heartbeat(inComment: comment), beat >= start.rounded(.down) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no heartbeat on \(name)")
    }

    /// What a run that died an hour ago leaves: its clones' heartbeats an hour old.
    static func backdateHeartbeats(owner: OwnerID) async throws {
        for name in try await Catalog.databases(startingWith: "pgfast_t_\(owner.hex)_") {
            try await Catalog.admin.execute(
                SQL(
                    unsafeRaw:
                        "COMMENT ON DATABASE \"\(name)\" IS '\(Liveness.heartbeatPrefix)\(Int(Date().timeIntervalSince1970) - 3600)'"
                ))
        }
    }

    static func ownerLocked(_ owner: OwnerID) async throws -> Bool {
        try await OwnerLease.lockedOwners(on: Catalog.admin).contains(owner)
    }

    @Test func aRunWhoseConnectionsAreAllKilledKeepsItsDatabases() async throws {
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-go-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: go) }
        let victim = try ChildProcess(scenario: "survivesBlip", environment: ["PGFAST_SCENARIO_GO": go.path])
        try victim.start()
        let names = try await victim.waitForLines(3)
        let owner = try #require(DatabaseNames.parse(names[0])?.owner)
        try await Self.waitForHeartbeat(on: names[0])
        #expect(try await Self.ownerLocked(owner))

        // Every connection of the run: its lease, its admin pool, its test databases' pools.
        let pid = victim.process.processIdentifier
        let killed = try await Catalog.admin.value(
            """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name LIKE \("% pid \(pid)") OR starts_with(datname::text, \("pgfast_t_\(owner.hex)_"))
            """, as: Int.self)
        #expect(killed >= 5)  // lease, admin, three databases

        // Within the second: another process's cleanup and another run, both sweeping.
        let report = try await TestDatabases.cleanupReport()
        for name in names { #expect(!report.dropped.contains(name)) }
        // (Not the `passes` scenario: ProcessLifecycleTests counts what its runs take from the stock.)
        let next = try await ChildProcess.run("anotherRun")
        #expect(next.status == 0, "\(next.log)")
        for name in names { #expect(try await Catalog.exists(name), "\(name) was dropped") }

        // The run takes its lease back under the same owner id.
        var relocked = false
        for _ in 0..<500 {
            relocked = try await Self.ownerLocked(owner)
            if relocked { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(relocked)
        FileManager.default.createFile(atPath: go.path, contents: nil)
        let (status, log) = await victim.wait()
        #expect(status == 0, "\(log)")
        #expect(victim.lines.last == "ok", "\(log)")
    }

    @Test func aKilledRunIsSweptOnceItsHeartbeatIsOlderThanTheGrace() async throws {
        let victim = try ChildProcess(scenario: "hangs")
        try victim.start()
        let name = try #require(try await victim.waitForLines(1).first)
        let owner = try #require(DatabaseNames.parse(name)?.owner)
        try await Self.waitForHeartbeat(on: name)
        victim.kill()
        _ = await victim.wait()
        // The lock is gone at once…
        var locked = true
        for _ in 0..<500 {
            locked = try await Self.ownerLocked(owner)
            if !locked { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!locked)
        // …but within the grace the run still counts as alive: nothing of it is dropped.
        let info = try #require(try await TestDatabases.list().first { $0.name == name })
        #expect(info.ownerAlive == true)
        #expect(info.isOrphan == false)
        #expect(!(try await TestDatabases.cleanup()).contains(name))
        #expect(try await Catalog.exists(name))

        // Once the heartbeat is older than the grace (backdated here, not waited for), it is swept.
        try await Self.backdateHeartbeats(owner: owner)
        // (Unless another process's sweep, now free to, dropped it already; one holds the owner's
        // lock for a moment while it looks, which reads as alive then: look again.)
        var gone = try await TestDatabases.list().first(where: { $0.name == name })
        for _ in 0..<250 where gone?.isOrphan == false {
            try await Task.sleep(for: .milliseconds(20))
            gone = try await TestDatabases.list().first(where: { $0.name == name })
        }
        if let gone {
            #expect(gone.ownerAlive == false)
            #expect(gone.isOrphan)
        }
        // Dropped by cleanup (looked at again while another process's sweep holds the owner's lock for a moment).
        for _ in 0..<50 {
            _ = try await TestDatabases.cleanup()
            if !(try await Catalog.exists(name)) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await Catalog.exists(name) == false)
    }

    @Test func theGraceComesFromTheEnvironment() throws {
        #expect(try Liveness.grace(environment: [:]) == .seconds(30))
        #expect(try Liveness.grace(environment: ["PGFAST_LEASE_GRACE": "0"]) == .zero)
        #expect(throws: IsolatedDatabaseError.self) { try Liveness.grace(environment: ["PGFAST_LEASE_GRACE": "soon"]) }
        let liveness = Liveness(
            locked: [OwnerID(value: 1)], heartbeatAge: [OwnerID(value: 2): 5, OwnerID(value: 3): 60],
            grace: .seconds(30))
        #expect(liveness.isAlive(OwnerID(value: 1)))  // holds its lock
        #expect(liveness.isAlive(OwnerID(value: 2)))  // lost its lock 5 s ago
        #expect(!liveness.isAlive(OwnerID(value: 3)))  // gone for a minute
        #expect(!liveness.isAlive(OwnerID(value: 4)))  // never beat, no lock
    }

    @Test func theLeaseConnectionIsExemptFromIdleTimeouts() async throws {
        let shared = try await TestEnvironment.current.shared()
        var config = OwnerLease.leaseConfig(shared.server.admin)
        config.applicationName = "pgfast lease settings test"
        // What a managed server may set for every session: the lease must not be cut by it.
        config.serverSettings["idle_session_timeout"] = "500ms"
        let connection = try await OwnerLease.connect(config)
        #expect(try await connection.value("SHOW idle_session_timeout", as: String.self) == "0")
        #expect(try await connection.value("SHOW idle_in_transaction_session_timeout", as: String.self) == "0")
        #expect(try await connection.value("SHOW client_min_messages", as: String.self) == "error")
        // Idle past the server's timeout, the session is still there.
        try await Task.sleep(for: .milliseconds(800))
        #expect(try await connection.value("SELECT 1", as: Int.self) == 1)
        await connection.close()
        #expect(config[parameter: "keepalives_idle"] == "15")
    }
}
