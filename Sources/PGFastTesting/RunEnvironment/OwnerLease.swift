import Foundation
import Logging
import PGFast
import Synchronization

/// This process's claim on the databases it creates, which a sweeper on any
/// machine sharing the server can trust.
///
/// Two signs of life, both kept on the server:
/// - a session-level advisory lock on a connection kept open for the life of
///   the process (the server frees it the moment the process dies, SIGKILL
///   included);
/// - a heartbeat: every ``interval`` the run writes the server's clock into the
///   comment of each of its clones (`COMMENT ON DATABASE … IS 'pgfast heartbeat …'`),
///   and each clone gets its first as it is made (``creating(_:on:_:)``).
///
/// The rule (``Liveness``): an owner is gone only when its lock is free **and**
/// its newest heartbeat is older than the grace period. A lease lost to a blip
/// (`idle_session_timeout`, a proxy, `pg_terminate_backend`, a network cut) is
/// noticed at the next beat and taken back under the same owner id; in between
/// the fresh heartbeat keeps its databases safe.
final class OwnerLease: Sendable {
    let owner: OwnerID
    /// How often the heartbeat is written and the lock checked.
    static let interval: Duration = .seconds(2)

    private let config: DatabaseConfig
    let logger: Logger
    private struct State {
        var connection: Connection?
        var beater: Task<Void, Never>?
        var stopped = false
        /// Times the lock was lost and taken back (for tests).
        var retaken = 0
    }
    private let state = Mutex(State())

    private init(owner: OwnerID, connection: Connection, config: DatabaseConfig, logger: Logger) {
        self.owner = owner
        self.config = config
        self.logger = logger
        state.withLock { $0.connection = connection }
    }

    /// Takes a fresh owner id and its lock, and starts the heartbeat.
    static func acquire(server: TestServer, logger: Logger) async throws -> OwnerLease {
        let config = leaseConfig(server.admin)
        let connection = try await connect(config)
        while true {
            let owner = OwnerID.random()
            let taken = try await connection.value(
                "SELECT pg_try_advisory_lock(\(OwnerID.lockClass), \(owner.value))", as: Bool.self)
            if taken {
                let lease = OwnerLease(owner: owner, connection: connection, config: config, logger: logger)
                lease.startBeating()
                return lease
            }
        }
    }

    /// The lease connection: exempt from the server's idle timeouts, with TCP keepalives.
    static func leaseConfig(_ admin: DatabaseConfig) -> DatabaseConfig {
        var config = admin
        config.applicationName = "pgfast owner \(ProcessInfo.processInfo.hostName) pid \(getpid())"
        // A machine that vanishes without closing its socket is noticed within a minute.
        config[parameter: "keepalives"] = "1"
        config[parameter: "keepalives_idle"] = "15"
        config[parameter: "keepalives_interval"] = "5"
        config[parameter: "keepalives_count"] = "3"
        // `COMMENT ON DATABASE` of a clone dropped meanwhile is a WARNING, not an error: nothing to say.
        config.serverSettings["client_min_messages"] = "error"
        config.idleInTransactionSessionTimeout = nil
        config.serverSettings["idle_in_transaction_session_timeout"] = "0"
        return config
    }

    /// Connects with `config` and turns the server's idle timeouts off for this session.
    static func connect(_ config: DatabaseConfig) async throws -> Connection {
        let connection = try await Connection.connect(config)
        // Exempt from a server- or role-wide idle_session_timeout (PostgreSQL 14+).
        if await connection.serverVersion >= 140_000 {
            try await connection.execute("SET idle_session_timeout = 0")
        }
        return connection
    }

    /// Times the lease was lost and taken back by this process.
    var retaken: Int { state.withLock { $0.retaken } }

    private func startBeating() {
        let task = Task.detached { [self] in
            while !Task.isCancelled {
                let healthy = await beat()
                // A lost lock is retried soon: the old session may take a moment to end.
                try? await Task.sleep(for: healthy ? Self.interval : .milliseconds(200))
            }
        }
        state.withLock { $0.beater = task }
    }

    /// One heartbeat: checks the lock (taking it back if the session was lost) and
    /// stamps this run's clones. False when the lock could not be held.
    @discardableResult
    func beat() async -> Bool {
        guard !state.withLock({ $0.stopped }) else { return true }
        do {
            let connection = try await heldConnection()
            guard let connection else { return false }
            try await connection.execute(Self.heartbeatStatement(owner: owner))
            return true
        } catch {
            logger.debug("owner lease heartbeat failed", metadata: ["owner": "\(owner)", "error": "\(error)"])
            let lost = state.withLock { state -> Connection? in
                defer { state.connection = nil }
                return state.connection
            }
            await lost?.close()
            return false
        }
    }

    /// The lease connection, reconnected and relocked if the session was lost; nil when another session holds the lock.
    private func heldConnection() async throws -> Connection? {
        if let connection = state.withLock({ $0.connection }), await connection.isOpen { return connection }
        let old = state.withLock { state -> Connection? in
            defer { state.connection = nil }
            return state.connection
        }
        await old?.close()
        let connection = try await Self.connect(config)
        let taken = try await connection.value(
            "SELECT pg_try_advisory_lock(\(OwnerID.lockClass), \(owner.value))", as: Bool.self)
        guard taken else {
            await connection.close()
            return nil
        }
        state.withLock {
            $0.connection = connection
            $0.retaken += 1
        }
        logger.debug("owner lease taken back", metadata: ["owner": "\(owner)"])
        return connection
    }

    /// Stops the heartbeat (the lock stays until the process exits).
    func stopBeating() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            return state.beater
        }
        task?.cancel()
    }

    /// Writes the server's clock into the comment of each of the owner's clones, in one round trip.
    static func heartbeatStatement(owner: OwnerID) -> SQL {
        let prefix = "pgfast_t_\(owner.hex)_"
        return SQL(
            unsafeRaw: """
                DO $pgfast$
                DECLARE d text;
                BEGIN
                  FOR d IN SELECT datname::text FROM pg_database WHERE starts_with(datname::text, '\(prefix)') LOOP
                    BEGIN
                      EXECUTE format('COMMENT ON DATABASE %I IS %L', d,
                        '\(Liveness.heartbeatPrefix)' || extract(epoch FROM now())::bigint);
                    EXCEPTION WHEN OTHERS THEN NULL;  -- dropped or renamed meanwhile
                    END;
                  END LOOP;
                END
                $pgfast$
                """)
    }

    /// The owners whose lease lock is held now.
    static func lockedOwners(on connection: some QueryExecutor) async throws -> Set<OwnerID> {
        let rows = try await connection.query(
            """
            SELECT objid::int8 FROM pg_locks
            WHERE locktype = 'advisory' AND classid::int8 = \(Int(OwnerID.lockClass)) AND objsubid = 2 AND granted
            """, file: #fileID, line: #line)
        let ids: [Int] = try rows.decode(Int.self)
        return Set(ids.map { OwnerID(value: Int32(truncatingIfNeeded: $0)) })
    }
}

/// Whether a run is alive, as a sweeper decides it: its lease lock is held, or
/// its newest heartbeat is younger than the grace period.
struct Liveness: Sendable {
    static let heartbeatPrefix = "pgfast heartbeat "
    /// How long an owner without its lock still counts as alive after its last heartbeat.
    static let defaultGrace: Duration = .seconds(30)

    let locked: Set<OwnerID>
    /// Seconds since each owner's newest heartbeat (server clock).
    let heartbeatAge: [OwnerID: Double]
    let grace: Duration

    func isAlive(_ owner: OwnerID) -> Bool {
        if locked.contains(owner) { return true }
        guard let age = heartbeatAge[owner] else { return false }
        return age < Double(grace.components.seconds)
    }

    /// The heartbeat time (server epoch seconds) a database comment holds, if it is one.
    static func heartbeat(inComment comment: String?) -> Double? {
        guard let comment, comment.hasPrefix(heartbeatPrefix) else { return nil }
        return Double(comment.dropFirst(heartbeatPrefix.count))
    }

    /// The grace period: `PGFAST_LEASE_GRACE` seconds (for tests and slow networks), else 30 s.
    static func grace(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Duration {
        guard let text = environment["PGFAST_LEASE_GRACE"], !text.isEmpty else { return defaultGrace }
        guard let seconds = Int(text), (0...86_400).contains(seconds) else {
            throw IsolatedDatabaseError(
                code: .invalidConfiguration,
                message: "PGFAST_LEASE_GRACE=\(text) must be a whole number of seconds from 0 to 86400")
        }
        return .seconds(seconds)
    }
}
