import Foundation

extension Migrator {
    /// Rolls back the last `steps` applied migrations, newest first, and returns them.
    ///
    /// Refuses (changing nothing) a migration without a down file, or one that a
    /// migration staying applied depends on.
    ///
    /// ```swift
    /// try await migrator.down(steps: 1)
    /// ```
    @discardableResult
    public func down(steps: Int = 1) async throws -> [Migration] {
        guard steps >= 0 else {
            throw MigrationError(code: .invalidArgument, message: "steps must be 0 or more, not \(steps)")
        }
        return try await rollBack { applied in Array(applied.reversed().prefix(steps)) }
    }

    /// Rolls back every migration applied after `version` (which stays applied).
    ///
    /// ```swift
    /// try await migrator.down(to: "20250101000100")
    /// ```
    @discardableResult
    public func down(to version: String) async throws -> [Migration] {
        try await rollBack { applied in
            guard let position = applied.firstIndex(where: { $0.version == version }) else {
                throw MigrationError(
                    code: .unknownVersion, message: "version \(version) is not applied in module \"\(module)\"",
                    hint: "pgfast schema status lists the applied versions")
            }
            return Array(applied[(position + 1)...].reversed())
        }
    }

    /// What `down` would roll back, newest first: a dry run that throws the errors
    /// `down` would (no down file, a dependent staying applied) and changes nothing.
    ///
    /// ```swift
    /// for migration in try await migrator.downPlan(steps: 2) { print(migration.displayName) }
    /// try await migrator.downPlan(to: "20250101000000")
    /// ```
    public func downPlan(steps: Int? = nil, to version: String? = nil) async throws -> [Migration] {
        let set = try migrations()
        let applied = try await database.withConnection { db in
            try await adoptedOrApplied(on: db, set: set, record: false)
        }
        let chosen: [AppliedMigration]
        if let version {
            guard let position = applied.firstIndex(where: { $0.version == version }) else {
                throw MigrationError(
                    code: .unknownVersion, message: "version \(version) is not applied in module \"\(module)\"",
                    hint: "pgfast schema status lists the applied versions")
            }
            chosen = Array(applied[(position + 1)...].reversed())
        } else {
            chosen = Array(applied.reversed().prefix(steps ?? 1))
        }
        return try checkedForDown(chosen, applied: applied, set: set)
    }

    private func rollBack(_ choose: ([AppliedMigration]) throws -> [AppliedMigration]) async throws -> [Migration] {
        let set = try migrations()
        return try await withMigrationLock { db in
            // Adoption first: a dirty foreign history refuses before anything is created.
            let applied = try await adoptedOrApplied(on: db, set: set, record: true)
            try await ensureHistory(on: db)
            let migrations = try checkedForDown(try choose(applied), applied: applied, set: set)
            for migration in migrations {
                let script = try migration.downScript()
                do {
                    try await run(script, inTransaction: migration.downRunsInTransaction, on: db) { db in
                        try await db.execute(
                            """
                            DELETE FROM \(unsafeRaw: Self.historyTable)
                            WHERE module = \(module) AND version = \(migration.version)
                            """)
                    }
                } catch let error as PostgresError {
                    throw MigrationError(applying: migration, file: migration.downFile!, error: error)
                }
            }
            return migrations
        }
    }

    /// Maps history rows to files and refuses what cannot be rolled back.
    private func checkedForDown(_ chosen: [AppliedMigration], applied: [AppliedMigration], set: MigrationSet) throws
        -> [Migration]
    {
        let byVersion = Dictionary(set.migrations.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        let leaving = Set(chosen.map(\.version))
        var migrations: [Migration] = []
        for record in chosen {
            guard let migration = byVersion[record.version] else {
                throw MigrationError(
                    code: .missingFile,
                    message: "cannot roll back \(record.version)_\(record.name): its files are gone",
                    hint: "restore its _up.sql and _down.sql files (from version control) into the migrations directory"
                )
            }
            guard migration.downFile != nil else {
                throw MigrationError(
                    code: .noDownFile, file: migration.upFile.path,
                    message: "cannot roll back \(migration.displayName): it has no \(migration.downPart)",
                    hint: migration.downHint)
            }
            let staying = applied.filter { !leaving.contains($0.version) }.compactMap { byVersion[$0.version] }
            if let dependent = staying.first(where: { $0.dependencies.contains(migration.version) }) {
                throw MigrationError(
                    code: .dependentStillApplied, file: migration.upFile.path,
                    message: "cannot roll back \(migration.displayName): \(dependent.displayName) depends on it "
                        + "and stays applied",
                    hint: "roll back \(dependent.displayName) first, or use down(to:) below both")
            }
            migrations.append(migration)
        }
        return Self.dependentsFirst(migrations)
    }

    /// `migrations` (newest first) reordered so that each is rolled back after those
    /// among them that depend on it. Reverse order of application already does this,
    /// except when a file gained a `depends_on` after it was applied.
    static func dependentsFirst(_ migrations: [Migration]) -> [Migration] {
        var remaining = migrations
        var ordered: [Migration] = []
        while !remaining.isEmpty {
            // A loaded set has no cycles, so some migration has no dependent left; 0 is a safe fallback.
            let index =
                remaining.firstIndex { candidate in
                    !remaining.contains { $0.dependencies.contains(candidate.version) }
                } ?? 0
            ordered.append(remaining.remove(at: index))
        }
        return ordered
    }
}
