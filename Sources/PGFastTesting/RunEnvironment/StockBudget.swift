import Foundation
import PGFast

/// The bytes of ready clones one template lineage may keep on a server, shared
/// by every process: each run, at its end, trims the lineage's stock to it
/// (whoever left it) before making more, under a lock per lineage, so three
/// runs ending at once leave one budget's worth, not three.
///
/// `PGFAST_STOCK_BYTES`, else 1 GiB, less when the filesystem holding the
/// cluster has under 4 GiB free (a quarter of what is free). A server whose
/// files PGFast cannot see (another machine) gets the 1 GiB default.
enum StockBudget {
    static let defaultBytes: Int64 = 1 << 30
    /// Advisory-lock class for a lineage's stock accounting: "PGFS".
    static let lockClass: Int32 = 0x5047_4653

    /// The budget for this server.
    static func bytes(settings: TestSettings, server: TestServer, on db: Database) async -> Int64 {
        if let bytes = settings.stockBytes { return bytes }
        var directory = server.dataDirectory
        if directory == nil {
            // A server on this machine that lets the role read its data directory (superuser, pg_read_all_settings).
            directory = try? await db.value(
                "SELECT current_setting('data_directory', true)", as: String?.self)
        }
        guard let directory, let free = freeBytes(atPath: directory) else { return defaultBytes }
        return min(defaultBytes, free / 4)
    }

    /// Free bytes on the filesystem holding `path`; nil when `path` is not on this machine.
    static func freeBytes(atPath path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    static func lockKey(lineage: String) -> Int32 {
        Int32(truncatingIfNeeded: TemplateStore.lockKey("stock " + lineage))
    }

    static func lock(lineage: String) -> SQL {
        SQL(unsafeRaw: "SELECT pg_advisory_lock(\(lockClass), \(lockKey(lineage: lineage)))")
    }

    static func unlock(lineage: String) -> SQL {
        SQL(unsafeRaw: "SELECT pg_advisory_unlock(\(lockClass), \(lockKey(lineage: lineage)))")
    }

    /// Bytes and count of the lineage's stock now, and how many of them are of `key`.
    static func usage(lineage: String, key: String, on db: Database) async throws -> (bytes: Int64, current: Int) {
        let row = try await TestDatabases.retryingVanished {
            try await db.query(
                SQL(
                    unsafeRaw: """
                        SELECT coalesce(sum(pg_database_size(oid)), 0)::int8,
                               count(*) FILTER (WHERE starts_with(datname::text, '\(DatabaseNames.readyPrefix(lineage: lineage, key: key))'))::int8
                        FROM pg_database WHERE starts_with(datname::text, 'pgfast_ready_\(lineage)_')
                        """)
            ).decode((Int, Int).self)[0]
        }
        return (Int64(row.0), row.1)
    }

    /// Drops this role's stock of the lineage beyond `budget`: other keys' first, then the oldest.
    static func trim(lineage: String, key: String, budget: Int64) -> Housekeeping.Step {
        .generated(
            SQL(
                unsafeRaw: """
                    SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname) FROM (
                      SELECT datname, pg_has_role(datdba, 'MEMBER') AS mine, sum(pg_database_size(oid)) OVER (
                        ORDER BY starts_with(datname::text, '\(DatabaseNames.readyPrefix(lineage: lineage, key: key))') DESC, oid DESC
                      ) AS running
                      FROM pg_database WHERE starts_with(datname::text, 'pgfast_ready_\(lineage)_')
                    ) stock WHERE running > \(budget) AND mine
                    """))
    }

    /// Creates up to `wanted` ready clones of `template` in all, within what the budget leaves.
    static func topUp(
        lineage: String, key: String, template: String, strategy: CloneStrategy?, wanted: Int, idPrefix: String,
        budget: Int64
    ) -> Housekeeping.Step {
        let prefix = DatabaseNames.readyPrefix(lineage: lineage, key: key)
        let strategyClause = strategy.map { " STRATEGY \($0.description)" } ?? ""
        return .generated(
            SQL(
                unsafeRaw: """
                    SELECT format('CREATE DATABASE %I TEMPLATE %I\(strategyClause)', '\(prefix)\(idPrefix)' || g, '\(template)')
                    FROM generate_series(1, (
                      SELECT GREATEST(0, LEAST(
                        \(wanted) - count(*) FILTER (WHERE starts_with(datname::text, '\(prefix)')),
                        floor((\(budget) - coalesce(sum(pg_database_size(oid)), 0))::numeric
                              / GREATEST(pg_database_size('\(template)'), 1))))::int8
                      FROM pg_database WHERE starts_with(datname::text, 'pgfast_ready_\(lineage)_'))) g
                    """))
    }
}
