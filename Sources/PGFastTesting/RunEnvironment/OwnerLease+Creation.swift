import Logging
import PGFast

extension OwnerLease {
    /// Makes a clone of this run (`body`: its `CREATE DATABASE`, or the rename of a stock clone)
    /// that carries this run's heartbeat from the moment another process can see it.
    ///
    /// Without it, a clone has no heartbeat until the next beat (up to ``interval`` later). Were
    /// the lease lost then (a blip the next beat repairs), a sweep elsewhere would find the
    /// owner's lock free and no heartbeat, and drop the clone a live test is about to get. So the
    /// clone is stamped at once, and from before it exists until it is stamped this session
    /// holds the owner's creation lock, shared: a sweeper takes it, exclusive, before it reads a
    /// clone's heartbeat (``TestDatabases/drop(_:on:grace:)``), so it sees either no such clone
    /// yet or one with its stamp. The lease lock cannot serve: the lease's session holds it.
    /// `db` must be one session (the lock is the session's).
    func creating(_ name: String, on db: Database, _ body: @Sendable () async throws -> Void) async throws {
        try await db.execute("SELECT pg_advisory_lock_shared(\(OwnerID.creationLockClass), \(owner.value))")
        do {
            try await body()
            do {
                try await db.execute(Self.stampStatement(database: name))
            } catch {
                // The clone is made and this run's: without its stamp it waits for the next beat, as before.
                logger.debug("cannot stamp a new clone", metadata: ["database": "\(name)", "error": "\(error)"])
            }
        } catch {
            _ = try? await db.execute(
                "SELECT pg_advisory_unlock_shared(\(OwnerID.creationLockClass), \(owner.value))")
            throw error
        }
        try await db.execute("SELECT pg_advisory_unlock_shared(\(OwnerID.creationLockClass), \(owner.value))")
    }

    /// Writes the server's clock into one database's comment, as a heartbeat does (one round trip).
    static func stampStatement(database name: String) -> SQL {
        let literal = "'" + name.replacingOccurrences(of: "'", with: "''") + "'"
        return SQL(
            unsafeRaw: """
                DO $pgfast$
                BEGIN
                  EXECUTE format('COMMENT ON DATABASE %I IS %L', \(literal),
                    '\(Liveness.heartbeatPrefix)' || extract(epoch FROM now())::bigint);
                END
                $pgfast$
                """)
    }
}
