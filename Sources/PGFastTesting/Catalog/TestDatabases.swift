import Foundation
import Logging
import PGFast

/// One database PGFast created on the server, as `pgfast test-db list` shows it.
public struct TestDatabaseInfo: Sendable, Hashable {
    /// What the database is: a template, one being built, a test's clone, a clone
    /// left ready for the next run, or a failed test's database kept for inspection.
    public enum Kind: String, Sendable {
        case template, build, clone, ready, kept
    }

    public var name: String
    public var kind: Kind
    /// The owning run (8 hex digits), for clones and kept databases.
    public var owner: String?
    /// Whether the owning run is alive (holds its lease, or beat within the grace period). Nil when the kind has no owner.
    public var ownerAlive: Bool?
    /// Size on disk in bytes.
    public var size: Int64
    /// Time since creation, where the server lets PGFast read it (superuser).
    public var age: Duration?

    /// Whether `cleanup` drops it: an orphan clone, a dead build, ready stock of a gone template.
    public var isOrphan: Bool
    /// For a kept database: the test it came from, where, when and in which run.
    public var label: KeptLabel?
    /// The role that owns the database (only it, its members and superusers may drop it).
    public var role: String = ""
    /// Whether the connected role may drop it (owns it, is a member of its owner, or is a superuser).
    public var isMine: Bool = true
}

/// Drops orphans and reports what it could not drop, instead of stopping at the first.
public struct CleanupReport: Sendable, Hashable {
    /// A database cleanup left in place, and why.
    public struct Skipped: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var reason: String
        public var description: String { "\(name): \(reason)" }
    }

    /// Databases dropped.
    public var dropped: [String] = []
    /// Databases cleanup was asked to drop but could not: the caller's problem (exit status 1 in the CLI).
    public var failed: [Skipped] = []
    /// Orphans of other roles, left alone: not the caller's to drop.
    public var notMine: [Skipped] = []

    /// One line per database left, then a count: what a person reads.
    public var summary: String {
        var lines: [String] = []
        for skipped in failed { lines.append("not dropped \(skipped)") }
        if !notMine.isEmpty {
            let roles = Set(notMine.map(\.reason)).sorted().joined(separator: ", ")
            lines.append("left \(notMine.count) orphan(s) of other roles alone (\(roles))")
        }
        var tail = "\(dropped.count) database(s) dropped"
        if !failed.isEmpty { tail += ", \(failed.count) could not be dropped" }
        lines.append(tail)
        return lines.joined(separator: "\n")
    }
}

/// The databases PGFast creates for tests: list them, drop the orphans.
///
/// ```swift
/// let all = try await TestDatabases.list()
/// let dropped = try await TestDatabases.cleanup()
/// ```
public enum TestDatabases {
    /// A database migrated (and loaded with `fixtures`) like a test's, kept until
    /// `cleanup(kept: true)`: for a REPL, a debugger, another tool.
    ///
    /// ```swift
    /// let (name, url) = try await TestDatabases.create(IsolatedDatabaseOptions(load: ["users"]))
    /// ```
    public static func create(_ options: IsolatedDatabaseOptions = IsolatedDatabaseOptions()) async throws
        -> (name: String, url: String)
    {
        let database = try await IsolatedDatabase.open(options, holdingSlot: false)
        let label = KeptLabel(test: "created by TestDatabases.create", source: nil, run: database.lease.shared.owner)
        return await database.lease.finish(keeping: true, label: label) ?? (database.name, database.url)
    }

    /// Every `pgfast_*` database on the server (`adminURL`, else `TEST_DATABASE_URL`, else the embedded server).
    public static func list(adminURL: String? = nil) async throws -> [TestDatabaseInfo] {
        let grace = try Liveness.grace()
        return try await withAdmin(adminURL) { db in try await catalog(on: db, grace: grace) }
    }

    /// Drops orphans: clones whose run is gone (killed, crashed), dead builds,
    /// ready clones of superseded templates. Never a database a live run uses.
    /// `kept` also drops failed tests' kept databases; `templates` drops the
    /// templates and ready stock too (they are rebuilt on the next run).
    /// Returns what was dropped; ``cleanupReport(adminURL:kept:templates:)`` also says what was not.
    @discardableResult
    public static func cleanup(adminURL: String? = nil, kept: Bool = false, templates: Bool = false)
        async throws -> [String]
    {
        try await cleanupReport(adminURL: adminURL, kept: kept, templates: templates).dropped
    }

    /// ``cleanup(adminURL:kept:templates:)``, going on past a database it cannot
    /// drop and saying which and why.
    public static func cleanupReport(adminURL: String? = nil, kept: Bool = false, templates: Bool = false)
        async throws -> CleanupReport
    {
        let grace = try Liveness.grace()
        return try await withAdmin(adminURL) { db in
            try await cleanup(on: db, kept: kept, templates: templates, grace: grace)
        }
    }

    static func cleanup(on db: Database, kept: Bool, templates: Bool, grace: Duration) async throws -> CleanupReport {
        try await db.withConnection { db in
            var report = CleanupReport()
            for info in try await catalog(on: db, measuring: false, grace: grace) {
                let wanted: Bool
                switch info.kind {
                case .kept: wanted = kept
                case .template, .ready: wanted = info.isOrphan || templates
                case .clone, .build: wanted = info.isOrphan
                }
                guard wanted else { continue }
                guard info.isMine else {
                    report.notMine.append(.init(name: info.name, reason: "owned by \(info.role)"))
                    continue
                }
                do {
                    if try await drop(info, on: db, grace: grace) { report.dropped.append(info.name) }
                } catch {
                    report.failed.append(.init(name: info.name, reason: reason(error)))
                }
            }
            return report
        }
    }

    /// Drops one database, looking again right before: a build that started, or an
    /// owner that came back since the catalog was read, keeps it (false).
    /// `db` must be one session: the locks taken here are released on it.
    static func drop(_ info: TestDatabaseInfo, on db: Database, grace: Duration) async throws -> Bool {
        var unlock: SQL?
        switch info.kind {
        case .build:
            let parsed = DatabaseNames.parse(info.name)
            let key = Int32(
                truncatingIfNeeded: TemplateStore.lockKey(
                    DatabaseNames.template(lineage: parsed?.lineage ?? "", key: parsed?.key ?? "")))
            // Holding the build lock: no builder can start on it until the drop is done.
            guard try await db.value("SELECT pg_try_advisory_lock(\(OwnerID.buildLockClass), \(key))", as: Bool.self)
            else { return false }
            unlock = "SELECT pg_advisory_unlock(\(OwnerID.buildLockClass), \(key))"
        case .clone:
            guard let owner = info.owner.flatMap(OwnerID.init(hex:)) else { break }
            guard try await db.value("SELECT pg_try_advisory_lock(\(OwnerID.lockClass), \(owner.value))", as: Bool.self)
            else { return false }
            unlock = "SELECT pg_advisory_unlock(\(OwnerID.lockClass), \(owner.value))"
            // A clone of the owner's still being made may have no heartbeat yet (``OwnerLease/creating(_:on:_:)``):
            // none under way now means every clone of the owner listed before carries its stamp.
            let (c, o) = (OwnerID.creationLockClass, owner.value)
            guard
                try await db.value(
                    "SELECT CASE WHEN pg_try_advisory_lock(\(c), \(o)) THEN pg_advisory_unlock(\(c), \(o)) ELSE false END",
                    as: Bool.self)
            else {
                _ = try? await db.execute(unlock!)
                return false
            }
            let beat = try await db.query(
                """
                SELECT shobj_description(oid, 'pg_database'), extract(epoch FROM now())::float8
                FROM pg_database WHERE datname = \(info.name)
                """
            ).decode((String?, Double).self).first
            if let beat, let last = Liveness.heartbeat(inComment: beat.0),
                beat.1 - last < Double(grace.components.seconds)
            {
                _ = try? await db.execute(unlock!)
                return false
            }
        default:
            break
        }
        if info.kind == .template {
            try await db.execute("ALTER DATABASE \(identifier: info.name) WITH IS_TEMPLATE false")
        }
        do {
            try await db.execute("DROP DATABASE IF EXISTS \(identifier: info.name) WITH (FORCE)")
        } catch {
            if let unlock { _ = try? await db.execute(unlock) }
            throw error
        }
        if let unlock { _ = try? await db.execute(unlock) }
        return true
    }

    /// The server's message alone (no SQL, no connection details).
    static func reason(_ error: any Error) -> String {
        if let error = error as? PostgresError { return error.message }
        return String(describing: error)
    }

    /// What exists; `measuring` adds sizes and ages, which stat every file of every database
    /// (a second or more with a few hundred clones: `list` wants them, the sweep does not).
    static func catalog(on db: Database, measuring: Bool = true, grace: Duration) async throws -> [TestDatabaseInfo] {
        let locked = try await OwnerLease.lockedOwners(on: db)
        let superuser =
            try await db.value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", as: Bool?.self) ?? false
        let ageColumn: SQL =
            superuser && measuring
            ? "extract(epoch FROM now() - (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification)::float8"
            : "NULL::float8"
        // A database dropped while this runs has no size: 0 when not measuring, NULL (skipped) when measuring.
        let sizeColumn: SQL = measuring ? "pg_database_size(oid)::int8" : "0::int8"
        let rows: [(String, Int?, Double?, String?, Double, String, Bool)]
        do {
            rows = try await retryingVanished { try await catalogRows(on: db, size: sizeColumn, age: ageColumn) }
        } catch let error as PostgresError where Self.vanished(error) && measuring {
            // Databases come and go too fast to measure them all (not a superuser): list them without sizes.
            rows = try await catalogRows(on: db, size: "0::int8", age: ageColumn)
        }
        // The build locks are read after the databases: a build takes its lock before it creates
        // its database, so one listed above that is still building holds its lock now. (Read
        // first, a build starting in between looked dead, and the sweep dropped it mid-build.)
        let building = try await db.query(
            """
            SELECT objid::int8 FROM pg_locks
            WHERE locktype = 'advisory' AND classid::int8 = \(Int(OwnerID.buildLockClass)) AND objsubid = 2 AND granted
            """
        ).decode(Int.self)
        var heartbeats: [OwnerID: Double] = [:]
        for row in rows {
            guard let parsed = DatabaseNames.parse(row.0), parsed.kind == .clone, let owner = parsed.owner,
                let beat = Liveness.heartbeat(inComment: row.3)
            else { continue }
            heartbeats[owner] = min(heartbeats[owner] ?? .infinity, row.4 - beat)
        }
        let liveness = Liveness(locked: locked, heartbeatAge: heartbeats, grace: grace)
        let templates = Set(rows.map(\.0).filter { $0.hasPrefix("pgfast_tpl_") })
        return rows.compactMap { name, size, age, comment, _, role, mine in
            // No size: dropped while the catalog was read.
            guard let size, let parsed = DatabaseNames.parse(name) else { return nil }
            let kind = TestDatabaseInfo.Kind(rawValue: parsed.kind.rawValue)!
            var alive: Bool?
            var orphan = false
            switch parsed.kind {
            case .clone, .kept:
                alive = parsed.owner.map { liveness.isAlive($0) } ?? false
                orphan = parsed.kind == .clone && alive == false
            case .build:
                let key = Int(
                    TemplateStore.lockKey(
                        DatabaseNames.template(lineage: parsed.lineage ?? "", key: parsed.key ?? "")))
                orphan = !building.contains(key) && !building.contains(Int(Int32(truncatingIfNeeded: key)))
            case .ready:
                orphan = !templates.contains(
                    DatabaseNames.template(lineage: parsed.lineage ?? "", key: parsed.key ?? ""))
            case .template:
                orphan = false
            }
            return TestDatabaseInfo(
                name: name, kind: kind, owner: parsed.owner?.hex, ownerAlive: alive, size: Int64(size),
                age: age.map { .milliseconds(Int64($0 * 1000)) }, isOrphan: orphan,
                label: parsed.kind == .kept ? KeptLabel(comment: comment) : nil, role: role, isMine: superuser || mine)
        }
    }

    private static func catalogRows(on db: Database, size: SQL, age: SQL) async throws
        -> [(String, Int?, Double?, String?, Double, String, Bool)]
    {
        try await db.query(
            """
            SELECT datname::text, \(size), \(age), shobj_description(oid, 'pg_database'),
                   extract(epoch FROM now())::float8, pg_get_userbyid(datdba)::text,
                   pg_has_role(datdba, 'MEMBER')
            FROM pg_database
            WHERE starts_with(datname::text, 'pgfast_') ORDER BY datname
            """
        ).decode((String, Int?, Double?, String?, Double, String, Bool).self)
    }

    /// A database dropped while a catalog query measured it: 3D000, or 42704 ("database with
    /// OID … does not exist", as PostgreSQL 18's `pg_database_size` says it).
    static func vanished(_ error: PostgresError) -> Bool {
        error.sqlState == .invalidCatalogName || error.sqlState == .undefinedObject
    }

    /// Runs a query over every database again when one was dropped while it ran: for a
    /// role that is not a superuser (and on PostgreSQL 18 for any role), `pg_database_size` of a vanished database is an
    /// error ("database with OID … does not exist"), not NULL.
    static func retryingVanished<R>(_ body: () async throws -> R) async throws -> R {
        for attempt in 0..<8 {
            do {
                return try await body()
            } catch let error as PostgresError where Self.vanished(error) {
                try? await Task.sleep(for: .milliseconds(10 * (attempt + 1)))
            }
        }
        return try await body()
    }

    static func withAdmin<R>(_ url: String?, _ body: (Database) async throws -> R) async throws -> R {
        let config: DatabaseConfig
        if let url {
            config = try DatabaseConfig(url: url)
        } else {
            config = try await TestServer.resolve(logger: PGFastLog.logger(label: "pgfast.testing")).admin
        }
        var adminConfig = config
        adminConfig.minConnections = 1
        adminConfig.maxConnections = 1
        adminConfig.serverSettings["client_min_messages"] = "warning"
        return try await Database.connect(adminConfig, body)
    }
}
