import Foundation

extension Migrator {
    /// What ``up(to:force:)`` would apply, in order: a dry run. Throws the same
    /// errors `up` would (an invalid set, changed files) without changing anything.
    ///
    /// ```swift
    /// for migration in try await migrator.plan() { print(migration.displayName) }
    /// ```
    public func plan(to target: String? = nil, force: Bool = false) async throws -> [Migration] {
        let set = try migrations()
        let applied = try await database.withConnection { db in
            try await adoptedOrApplied(on: db, set: set, record: false)
        }
        return try pending(in: set, applied: applied, to: target, force: force)
    }

    /// Applies the pending migrations in dependency order, each in a
    /// transaction with its history row (unless its file opts out), and returns
    /// them. `force` skips the check for applied files that changed since.
    ///
    /// Each migration's transaction takes the module's advisory lock itself
    /// (`pg_advisory_xact_lock`) and reads the history again under it, so concurrent
    /// migrators apply every file once even behind a transaction pooler such as
    /// PgBouncer, where a session lock would be left on whichever server connection
    /// took it. A file that opts out of the transaction runs under the session lock on
    /// a direct connection and is refused behind a pooler.
    ///
    /// ```swift
    /// let applied = try await migrator.up()
    /// try await migrator.up(to: "20250101000300")
    /// ```
    @discardableResult
    public func up(to target: String? = nil, force: Bool = false) async throws -> [Migration] {
        let set = try migrations()
        return try await database.withConnection { db in
            let pooled = try await isBehindPooler(on: db)
            // A dirty foreign history refuses before anything is created.
            _ = try await adoptedOrApplied(on: db, set: set, record: false)
            try await ensureHistory(on: db)
            var applied: [Migration] = []
            while true {
                let step = try await db.transaction { tx -> UpStep in
                    try await takeTransactionLock(on: tx)
                    let done = try await adoptedOrApplied(on: tx, set: set, record: true, historyExists: true)
                    guard let next = try pending(in: set, applied: done, to: target, force: force).first else {
                        return .finished
                    }
                    guard next.runsInTransaction else { return .outsideTransaction(next) }
                    try await apply(next, on: tx, insideTransaction: true)
                    return .applied(next)
                }
                switch step {
                case .finished:
                    return applied
                case .applied(let migration):
                    applied.append(migration)
                case .outsideTransaction(let migration):
                    if pooled { throw MigrationError(behindPoolerCannotApply: migration) }
                    let ran = try await withMigrationLock(on: db) { db in
                        let done = try await adoptedOrApplied(on: db, set: set, record: true)
                        let next = try pending(in: set, applied: done, to: target, force: force).first
                        guard next?.version == migration.version else { return false }
                        try await apply(migration, on: db)
                        return true
                    }
                    if ran { applied.append(migration) }
                }
            }
        }
    }

    /// One turn of ``up(to:force:)``: what its transaction did.
    private enum UpStep: Sendable {
        case finished
        case applied(Migration)
        case outsideTransaction(Migration)
    }

    /// The pending migrations after the checks `up` makes.
    func pending(in set: MigrationSet, applied: [AppliedMigration], to target: String?, force: Bool) throws
        -> [Migration]
    {
        let appliedByVersion = Dictionary(applied.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        if !force {
            let changed = set.migrations.filter { migration in
                appliedByVersion[migration.version].map { $0.checksum != migration.checksum } ?? false
            }
            if !changed.isEmpty {
                var error = MigrationError(
                    code: .checksumMismatch, file: changed[0].upFile.path,
                    message: "applied migration(s) changed since they were applied: "
                        + changed.map(\.displayName).joined(separator: ", "),
                    hint: "restore the files, or run with force to skip this check")
                error.additionalErrors = changed.dropFirst().map {
                    MigrationError(code: .checksumMismatch, file: $0.upFile.path, message: "\($0.displayName) changed")
                }
                throw error
            }
        }
        var pending = set.migrations.filter { appliedByVersion[$0.version] == nil }
        if let target {
            guard let position = set.migrations.firstIndex(where: { $0.version == set[version: target]?.version })
            else {
                throw MigrationError(
                    code: .unknownVersion, message: "target version \(target) matches no migration",
                    hint: "pick a version from the migrations directories (pgfast schema status lists them)")
            }
            let allowed = Set(set.migrations[...position].map(\.version))
            pending = pending.filter { allowed.contains($0.version) }
        }
        return pending
    }

    /// Runs one migration and records it; in a transaction unless it opted out.
    /// `insideTransaction`: `db` is in the transaction the migration belongs to (no savepoint).
    func apply(_ migration: Migration, on db: Database, insideTransaction: Bool = false) async throws {
        let script = try migration.upScript()
        let started = ContinuousClock.now
        do {
            try await run(
                script, inTransaction: migration.runsInTransaction, on: db, insideTransaction: insideTransaction
            ) { db in
                let elapsed = ContinuousClock.now - started
                try await db.execute(
                    """
                    INSERT INTO \(unsafeRaw: Self.historyTable) (module, version, name, checksum, duration_ms)
                    VALUES (\(module), \(migration.version), \(migration.name), \(migration.checksum), \(elapsed.fractionalMilliseconds))
                    """)
            }
        } catch let error as PostgresError {
            throw MigrationError(applying: migration, file: migration.upFile, error: error)
        }
    }

    /// Runs a migration file and then `record` (its history change): both in one
    /// transaction, or one after the other for a file that opted out.
    ///
    /// Settings a file changes (`pg_dump` output sets `search_path` to empty, with
    /// `set_config(…, false)`) are reset afterwards, as if each file ran in its own
    /// `psql` session: they neither leak into the next file nor break the history row,
    /// nor stay on the pooled connection. In a transaction the reset goes out with the file's
    /// last statements. `insideTransaction`: `db` is already in the transaction to use.
    func run(
        _ script: SQLScript, inTransaction: Bool, on db: Database, insideTransaction: Bool = false,
        then record: (Database) async throws -> Void
    ) async throws {
        if inTransaction {
            func body(_ tx: Database) async throws {
                try await tx.execute(script.resettingSettings())
                try await record(tx)
            }
            if insideTransaction {
                try await body(db)
            } else {
                try await db.transaction { tx in try await body(tx) }
            }
        } else {
            do {
                try await db.execute(script)
            } catch {
                _ = try? await db.execute(script: "RESET ALL")
                throw error
            }
            try await db.execute(script: "RESET ALL")
            try await record(db)
        }
    }
}

extension Duration {
    /// Milliseconds with their fraction, for the history's `duration_ms`.
    var fractionalMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

extension MigrationError {
    /// A file that opts out of the transaction cannot be locked behind a transaction pooler.
    init(behindPoolerCannotApply migration: Migration) {
        self.init(
            code: .lockTimeout, file: migration.upFile.path,
            message: "\(migration.displayName) opts out of the transaction (no-transaction), and the "
                + "connection goes through a transaction pooler (PgBouncer): no lock can cover it there",
            hint: "run pgfast schema up against the server directly (not through PgBouncer) for this migration")
    }

    /// A server error while running a migration file: the file, the line, and the server's words.
    init(applying migration: Migration, file: URL, error: PostgresError) {
        var message = "\(migration.displayName) failed"
        if let sqlState = error.sqlState { message += " (\(sqlState))" }
        message += ": \(error.message)"
        self.init(
            code: .applyFailed, file: error.sourceFile ?? file.path, line: error.sourceLine, message: message,
            detail: error.detail, hint: error.hint)
    }
}
