import Foundation

extension Migrator {
    /// The history table's name in templates: `{{tables.pgfast_migrations}}`.
    static let historyTable = "{{tables.pgfast_migrations}}"

    /// Creates the history table when missing (idempotent).
    ///
    /// The lock is per module, so migrators of two modules sharing a schema can both
    /// find the table missing: `CREATE TABLE IF NOT EXISTS` then fails in one of them
    /// with a duplicate-key error on the catalog, which means the table now exists.
    /// `id` keeps the order of application, which `applied_at` cannot (adopted rows
    /// share timestamps, and `now()` has microsecond resolution).
    func ensureHistory(on db: Database) async throws {
        guard !(try await historyExists(on: db)) else { return }
        do {
            try await createHistory(on: db)
        } catch let error as PostgresError
            where error.sqlState == .uniqueViolation || error.sqlState == .duplicateTable
            || error.sqlState == .duplicateObject
        {
            // Created by a migrator of another module at the same moment.
        }
    }

    func createHistory(on db: Database) async throws {
        try await db.execute(
            script: """
                CREATE TABLE IF NOT EXISTS \(Self.historyTable) (
                    id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                    module text NOT NULL,
                    version text NOT NULL,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    duration_ms double precision NOT NULL DEFAULT 0,
                    PRIMARY KEY (module, version)
                )
                """)
    }

    /// Whether the history table exists yet (status and verify do not create it).
    func historyExists(on db: Database) async throws -> Bool {
        let name = db.render(Self.historyTable)
        return try await db.value("SELECT to_regclass(\(name)) IS NOT NULL", as: Bool.self)
    }

    /// The module's applied migrations, oldest first; `historyExists`: known to, no need to look.
    func appliedMigrations(on db: Database, historyExists known: Bool = false) async throws -> [AppliedMigration] {
        if !known, try await !historyExists(on: db) { return [] }
        let rows = try await db.query(
            """
            SELECT version, name, checksum, applied_at, duration_ms FROM \(unsafeRaw: Self.historyTable)
            WHERE module = \(module) AND version <> \(Self.adoptionMarker) ORDER BY id
            """)
        return try rows.decode((String, String, String, Date, Double).self).map {
            AppliedMigration(version: $0.0, name: $0.1, checksum: $0.2, appliedAt: $0.3, durationMilliseconds: $0.4)
        }
    }

    /// Runs `body` holding the module's session advisory lock, waiting up to `lockTimeout`.
    ///
    /// A session lock needs one server session throughout, which a transaction pooler
    /// (PgBouncer) does not give: there this refuses, naming the pooler. ``up(to:force:)``
    /// locks per transaction instead (``takeTransactionLock(on:)``).
    /// `on`: a handle already pinned to a connection, to lock on that one (a pool of one
    /// connection, as a template build has, must not wait for a second).
    func withMigrationLock<R>(
        isolation: isolated (any Actor)? = #isolation,
        on pinned: Database? = nil,
        _ body: (Database) async throws -> R
    ) async throws -> R {
        try await (pinned ?? database).withConnection { db in
            if try await isBehindPooler(on: db) {
                throw MigrationError(
                    code: .lockTimeout,
                    message: "the connection goes through a transaction pooler (PgBouncer): the migrator's "
                        + "session lock cannot be held there",
                    hint: "roll back against the server directly, not through PgBouncer")
            }
            let key = try await takeLock(.session, on: db)
            do {
                let result = try await body(db)
                try await db.execute("SELECT pg_advisory_unlock(\(Self.lockClass), \(key))")
                return result
            } catch {
                await db.connection?.rollback()
                _ = try? await db.execute("SELECT pg_advisory_unlock(\(Self.lockClass), \(key))")
                throw error
            }
        }
    }

    /// Takes the module's lock for the current transaction (`pg_advisory_xact_lock`,
    /// released by its commit or rollback), waiting up to `lockTimeout`. It conflicts
    /// with the session lock of ``withMigrationLock(isolation:on:_:)`` (same key).
    func takeTransactionLock(on tx: Database) async throws {
        _ = try await takeLock(.transaction, on: tx)
    }

    /// The statements that take the lock: the timeout, the lock, the timeout restored. Inside a
    /// transaction they go out in one pipeline (a lock that times out aborts the rest).
    private func lockScript(_ scope: LockScope, key: Int32) throws -> SQLScript {
        let local = scope == .transaction
        let function = local ? "pg_advisory_xact_lock" : "pg_advisory_lock"
        return try SQLScript(
            """
            SELECT set_config('lock_timeout', '\(lockTimeout.milliseconds)', \(local));
            SELECT \(function)(\(Self.lockClass), \(key));
            \(local ? "SET LOCAL lock_timeout TO DEFAULT" : "RESET lock_timeout");
            """)
    }

    private enum LockScope { case session, transaction }

    /// Waits up to `lockTimeout` for the module's advisory lock, then restores the
    /// connection's `lock_timeout`; returns the lock's key.
    private func takeLock(_ scope: LockScope, on db: Database) async throws -> Int32 {
        let key = Self.lockKey(schema: db.schema ?? "public", module: module)
        do {
            try await db.execute(lockScript(scope, key: key))
        } catch let error as PostgresError where error.sqlState == .lockNotAvailable {
            // Outside a transaction the timeout stays set on the session: put it back.
            if scope == .session { _ = try? await db.execute(script: "RESET lock_timeout") }
            throw MigrationError(
                code: .lockTimeout,
                message: "another migrator of module \"\(module)\" held the lock for more than "
                    + "\(lockTimeout.readable)",
                hint: "wait for it to finish, or raise the timeout (--timeout)")
        }
        return key
    }

    /// Whether `db`'s connection goes through a pooler such as PgBouncer: the backend
    /// the server names differs from the one the connection was told at startup
    /// (PgBouncer hands out its own cancel key).
    func isBehindPooler(on db: Database) async throws -> Bool {
        guard let connection = db.connection else { return false }
        let serverPID = try await db.value("SELECT pg_backend_pid()", as: Int32.self)
        return await serverPID != connection.backendPID
    }

    /// Advisory-lock class of migrators: "PGFM".
    static let lockClass: Int32 = 0x5047_464D

    static func lockKey(schema: String, module: String) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in (schema + "\u{0}" + module).utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int32(bitPattern: hash)
    }
}
