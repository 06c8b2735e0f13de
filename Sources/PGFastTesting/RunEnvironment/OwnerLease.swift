import Foundation
import PGFast

/// This process's claim on the databases it creates.
///
/// A session-level advisory lock, held on a connection kept open for the
/// life of the process: the server drops it the moment the process dies
/// (SIGKILL included), on this machine or any other sharing the server. A
/// database whose owner holds no lease is an orphan, safe to drop.
final class OwnerLease: Sendable {
    let owner: OwnerID
    private let connection: Connection

    private init(owner: OwnerID, connection: Connection) {
        self.owner = owner
        self.connection = connection
    }

    /// Takes a fresh owner id and its lock.
    static func acquire(server: TestServer) async throws -> OwnerLease {
        var config = server.admin
        config.applicationName = "pgfast owner \(ProcessInfo.processInfo.hostName) pid \(getpid())"
        // A machine that vanishes without closing its socket is noticed within a minute.
        config[parameter: "keepalives_idle"] = "15"
        config[parameter: "keepalives_interval"] = "5"
        config[parameter: "keepalives_count"] = "3"
        let connection = try await Connection.connect(config)
        while true {
            let owner = OwnerID.random()
            let taken = try await connection.value(
                "SELECT pg_try_advisory_lock(\(OwnerID.lockClass), \(owner.value))", as: Bool.self)
            if taken { return OwnerLease(owner: owner, connection: connection) }
        }
    }

    /// The owners whose processes are alive now (their lease lock is held).
    static func liveOwners(on connection: some QueryExecutor) async throws -> Set<OwnerID> {
        let rows = try await connection.query(
            """
            SELECT objid::int8 FROM pg_locks
            WHERE locktype = 'advisory' AND classid::int8 = \(Int(OwnerID.lockClass)) AND objsubid = 2 AND granted
            """, file: #fileID, line: #line)
        let ids: [Int] = try rows.decode(Int.self)
        return Set(ids.map { OwnerID(value: Int32(truncatingIfNeeded: $0)) })
    }
}
