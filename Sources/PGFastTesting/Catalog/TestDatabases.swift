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
    /// Whether the owning run is alive (holds its lease). Nil when the kind has no owner.
    public var ownerAlive: Bool?
    /// Size on disk in bytes.
    public var size: Int64
    /// Time since creation, where the server lets PGFast read it (superuser).
    public var age: Duration?

    /// Whether `cleanup` drops it: an orphan clone, a dead build, ready stock of a gone template.
    public var isOrphan: Bool
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
        return await database.lease.finish(keeping: true) ?? (database.name, database.url)
    }

    /// Every `pgfast_*` database on the server (`adminURL`, else `TEST_DATABASE_URL`, else the embedded server).
    public static func list(adminURL: String? = nil) async throws -> [TestDatabaseInfo] {
        try await withAdmin(adminURL) { db in try await catalog(on: db) }
    }

    /// Drops orphans: clones whose run is gone (killed, crashed), dead builds,
    /// ready clones of superseded templates. Never a database a live run uses.
    /// `kept` also drops failed tests' kept databases; `templates` drops the
    /// templates and ready stock too (they are rebuilt on the next run).
    @discardableResult
    public static func cleanup(adminURL: String? = nil, kept: Bool = false, templates: Bool = false)
        async throws -> [String]
    {
        try await withAdmin(adminURL) { db in
            try await cleanup(on: db, kept: kept, templates: templates)
        }
    }

    static func cleanup(on db: Database, kept: Bool, templates: Bool) async throws -> [String] {
        var dropped: [String] = []
        for info in try await catalog(on: db, measuring: false) {
            let drop: Bool
            switch info.kind {
            case .kept: drop = kept
            case .template, .ready: drop = info.isOrphan || templates
            case .clone, .build: drop = info.isOrphan
            }
            guard drop else { continue }
            do {
                if info.kind == .template {
                    try await db.execute("ALTER DATABASE \(identifier: info.name) WITH IS_TEMPLATE false")
                }
                try await db.execute("DROP DATABASE IF EXISTS \(identifier: info.name) WITH (FORCE)")
                dropped.append(info.name)
            } catch let error as PostgresError where error.sqlState == .objectInUse {
                continue  // being cloned right now: next time
            }
        }
        return dropped
    }

    /// What exists; `measuring` adds sizes and ages, which stat every file of every database
    /// (a second or more with a few hundred clones: `list` wants them, the sweep does not).
    static func catalog(on db: Database, measuring: Bool = true) async throws -> [TestDatabaseInfo] {
        let live = try await OwnerLease.liveOwners(on: db)
        let superuser =
            try await db.value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", as: Bool?.self) ?? false
        let ageColumn: SQL =
            superuser && measuring
            ? "extract(epoch FROM now() - (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification)::float8"
            : "NULL::float8"
        // A database dropped while this runs has no size: 0 when not measuring, NULL (skipped) when measuring.
        let sizeColumn: SQL = measuring ? "pg_database_size(oid)::int8" : "0::int8"
        let rows = try await db.query(
            """
            SELECT datname::text, \(sizeColumn), \(ageColumn) FROM pg_database
            WHERE starts_with(datname::text, 'pgfast_') ORDER BY datname
            """
        ).decode((String, Int?, Double?).self)
        // The build locks are read after the databases: a build takes its lock before it creates
        // its database, so one listed above that is still building holds its lock now. (Read
        // first, a build starting in between looked dead, and the sweep dropped it mid-build.)
        let building = try await db.query(
            """
            SELECT objid::int8 FROM pg_locks
            WHERE locktype = 'advisory' AND classid::int8 = \(Int(OwnerID.buildLockClass)) AND objsubid = 2 AND granted
            """
        ).decode(Int.self)
        let templates = Set(rows.map(\.0).filter { $0.hasPrefix("pgfast_tpl_") })
        return rows.compactMap { name, size, age in
            // No size: dropped while the catalog was read.
            guard let size, let parsed = DatabaseNames.parse(name) else { return nil }
            let kind = TestDatabaseInfo.Kind(rawValue: parsed.kind.rawValue)!
            var alive: Bool?
            var orphan = false
            switch parsed.kind {
            case .clone, .kept:
                alive = parsed.owner.map { live.contains($0) } ?? false
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
                age: age.map { .milliseconds(Int64($0 * 1000)) }, isOrphan: orphan)
        }
    }

    private static func withAdmin<R>(_ url: String?, _ body: (Database) async throws -> R) async throws -> R {
        let config: DatabaseConfig
        if let url {
            config = try DatabaseConfig(url: url)
        } else {
            config = try await TestServer.resolve(logger: Logger(label: "pgfast.testing")).admin
        }
        var adminConfig = config
        adminConfig.minConnections = 1
        adminConfig.maxConnections = 1
        return try await Database.connect(adminConfig, body)
    }
}
