import Logging
import PGFast

/// Builds each template once, seals it, and reuses it across tasks, processes and runs.
///
/// A template is built under a private name (`pgfast_build_…`), sealed
/// (`IS_TEMPLATE true`, `ALLOW_CONNECTIONS false`: nobody can connect to it, so
/// a clone never meets "source database is being accessed by other users"),
/// and only then renamed to its final name: a database with a template's name
/// is always complete. An advisory lock per template makes racing builders,
/// here or in other processes, build it once.
actor TemplateStore {
    private let server: TestServer
    private let admin: ConnectionPool
    private let logger: Logger
    private let forceRebuild: Bool
    /// Templates kept per lineage, the newest first: switching git branches back and forth reuses them.
    private let keep: Int
    /// Bytes the older templates of a lineage may take beside the newest; nil: no limit.
    private let budget: Int64?
    private var templates: [String: Task<String, any Error>] = [:]

    init(
        server: TestServer, admin: ConnectionPool, logger: Logger, forceRebuild: Bool, keep: Int = 3,
        budget: Int64? = nil
    ) {
        self.server = server
        self.admin = admin
        self.logger = logger
        self.forceRebuild = forceRebuild
        self.keep = max(1, keep)
        self.budget = budget
    }

    /// The sealed template's name, building it if needed. A failure is
    /// remembered: the other tests of the run get the same error at no cost.
    func template(for recipe: TemplateRecipe) async throws -> String {
        if let task = templates[recipe.name] { return try await task.value }
        let task = Task { try await self.obtain(recipe) }
        templates[recipe.name] = task
        return try await task.value
    }

    /// Builds happened in this process (for tests and the benchmark's "no migration on re-run").
    private(set) var builds: [String] = []

    private func obtain(_ recipe: TemplateRecipe) async throws -> String {
        let parentName: String?
        if let parent = recipe.parent {
            parentName = try await template(for: parent.recipe)
        } else {
            parentName = nil
        }
        let name = recipe.name
        let adminDB = Database(pool: admin)
        if !forceRebuild, try await isSealed(name, on: adminDB) { return name }
        return try await adminDB.withConnection { db in
            let lockKey = Int32(truncatingIfNeeded: Self.lockKey(name))
            try await db.execute("SELECT pg_advisory_lock(\(OwnerID.buildLockClass), \(lockKey))")
            do {
                if try await isSealed(name, on: db) {
                    if forceRebuild && !builds.contains(name) {
                        try await dropTemplate(name, on: db)
                        // Clones of the old build are as suspect as the template itself.
                        await dropStock(DatabaseNames.readyPrefix(lineage: recipe.lineage, key: recipe.key), on: db)
                    } else {
                        try await db.execute("SELECT pg_advisory_unlock(\(OwnerID.buildLockClass), \(lockKey))")
                        return name
                    }
                }
                try await build(recipe, from: parentName, on: db)
                builds.append(name)
                try await db.execute("SELECT pg_advisory_unlock(\(OwnerID.buildLockClass), \(lockKey))")
            } catch {
                _ = try? await db.execute("SELECT pg_advisory_unlock(\(OwnerID.buildLockClass), \(lockKey))")
                throw error
            }
            await dropSuperseded(lineage: recipe.lineage, keeping: name, on: db)
            return name
        }
    }

    private func build(_ recipe: TemplateRecipe, from parent: String?, on db: Database) async throws {
        let buildName = recipe.buildName
        let started = RunTimings.shared.now
        defer {
            RunTimings.shared.recordBuild(
                template: recipe.name, started: started, elapsed: RunTimings.shared.now - started)
        }
        logger.info("building template", metadata: ["template": "\(recipe.name)", "from": "\(recipe.summary)"])
        // A build that died half-way (process killed) left this behind; it was never sealed.
        try await db.execute("DROP DATABASE IF EXISTS \(identifier: buildName) WITH (FORCE)")
        if let parent {
            try await db.execute("CREATE DATABASE \(identifier: buildName) TEMPLATE \(identifier: parent)")
        } else {
            try await db.execute("CREATE DATABASE \(identifier: buildName)")
        }
        do {
            var config = server.config(database: buildName)
            config.minConnections = 1
            config.maxConnections = 1
            try await Database.connect(config, logger: logger) { target in try await recipe.build(target) }
            try await db.execute(
                "ALTER DATABASE \(identifier: buildName) WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
            try await closeSessions(on: buildName, db)
            try await db.execute("ALTER DATABASE \(identifier: buildName) RENAME TO \(identifier: recipe.name)")
        } catch {
            _ = try? await db.execute("DROP DATABASE IF EXISTS \(identifier: buildName) WITH (FORCE)")
            if error is IsolatedDatabaseError { throw error }
            throw IsolatedDatabaseError(
                code: .templateBuildFailed,
                message: "cannot build the template database from \(recipe.summary)", underlying: error)
        }
    }

    /// Ends the sessions that a template's own code (a `.build` body's client) left on it:
    /// a template with sessions cannot be renamed or cloned. Connections are already refused.
    private func closeSessions(on name: String, _ db: Database) async throws {
        for _ in 0..<100 {
            let left = try await db.value(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = \(name) AND pid <> pg_backend_pid()
                """, as: Int.self)
            if left == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func isSealed(_ name: String, on db: Database) async throws -> Bool {
        let sealed = try await db.value(
            "SELECT datistemplate AND NOT datallowconn FROM pg_database WHERE datname = \(name)",
            as: Bool?.self)
        return sealed == true
    }

    private func dropTemplate(_ name: String, on db: Database) async throws {
        try await db.execute("ALTER DATABASE \(identifier: name) WITH IS_TEMPLATE false")
        try await db.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
    }

    /// Keeps the newest `keep` templates of the lineage (within `budget`), drops older
    /// ones, and drops the clones left ready from templates other than `name`.
    /// Best effort: one that is being cloned right now is left for next time.
    private func dropSuperseded(lineage: String, keeping name: String, on db: Database) async {
        do {
            let prefixes = ["pgfast_tpl_\(lineage)_", "pgfast_ready_\(lineage)_"]
            // Newest first: a build gets a new oid, a rename keeps it.
            let rows = try await db.query(
                """
                SELECT datname::text, pg_database_size(oid)::int8 FROM pg_database
                WHERE (starts_with(datname::text, \(prefixes[0])) OR starts_with(datname::text, \(prefixes[1])))
                  AND datname::text <> \(name)
                  AND NOT starts_with(datname::text, \("pgfast_ready_" + name.dropFirst("pgfast_tpl_".count) + "_"))
                ORDER BY oid DESC
                """
            ).decode((String, Int).self)
            var kept = 1
            var bytes: Int64 = 0
            for (old, size) in rows {
                if old.hasPrefix("pgfast_tpl_") {
                    bytes += Int64(size)
                    if kept < keep && bytes <= budget ?? .max {
                        kept += 1
                        continue
                    }
                }
                do {
                    if old.hasPrefix("pgfast_tpl_") {
                        try await dropTemplate(old, on: db)
                    } else {
                        try await db.execute("DROP DATABASE IF EXISTS \(identifier: old) WITH (FORCE)")
                    }
                    logger.debug("dropped superseded database", metadata: ["database": "\(old)"])
                } catch {
                    logger.debug(
                        "cannot drop superseded database yet", metadata: ["database": "\(old)", "error": "\(error)"])
                }
            }
        } catch {
            logger.debug("cannot list superseded templates", metadata: ["error": "\(error)"])
        }
    }

    /// Drops the ready clones whose names start with `prefix`; best effort.
    private func dropStock(_ prefix: String, on db: Database) async {
        let names =
            (try? await db.query(
                "SELECT datname::text FROM pg_database WHERE starts_with(datname::text, \(prefix))"
            ).decode(String.self)) ?? []
        for name in names {
            _ = try? await db.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
        }
    }

    /// A stable 32-bit key for the template's build lock.
    static func lockKey(_ name: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
