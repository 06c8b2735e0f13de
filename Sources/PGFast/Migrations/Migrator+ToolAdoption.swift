import Foundation

/// Moving over from another migration tool: a database it migrated is taken over, so
/// nothing is applied twice and `status` is clean. Its history is read (never changed)
/// from the module's schema, then `public`:
///
/// | Tool | Table | What counts as applied |
/// |---|---|---|
/// | golang-migrate | `schema_migrations (version bigint, dirty bool)` | every version up to the one row's; `dirty` refuses |
/// | dbmate, Rails | `schema_migrations (version varchar)` | each row |
/// | sqlx | `_sqlx_migrations` | each successful row; its SHA-384 `checksum` must match the file |
/// | goose | `goose_db_version` | each version whose latest row has `is_applied` |
/// | diesel | `__diesel_schema_migrations` | each row |
/// | Flyway | `flyway_schema_history` | successful `SQL` rows, less undone ones; up to a `BASELINE` |
///
/// pgdbm's table is also called `schema_migrations`; the columns tell them apart.
extension Migrator {
    /// Another tool's history in `schema`, mapped to this set's files, with where it came from.
    func toolHistory(schema: String, on db: Database, set: MigrationSet) async throws
        -> (source: String, records: [AppliedMigration])?
    {
        let readers:
            [(table: String, read: (String, Database, MigrationSet, Set<String>) async throws -> [AppliedMigration]?)] =
                [
                    ("schema_migrations", schemaMigrationsHistory),
                    ("_sqlx_migrations", sqlxHistory),
                    ("goose_db_version", gooseHistory),
                    ("__diesel_schema_migrations", dieselHistory),
                    ("flyway_schema_history", flywayHistory),
                ]
        for (table, read) in readers where try await tableExists(table, schema: schema, on: db) {
            let columns = try await db.query(
                """
                SELECT column_name::text FROM information_schema.columns
                WHERE table_schema = \(schema) AND table_name = \(table)
                """
            ).decode(String.self)
            if let records = try await read(schema, db, set, Set(columns)), !records.isEmpty {
                return ("\(schema).\(table)", records)
            }
        }
        return nil
    }

    /// golang-migrate (`version`, `dirty`: one row) or dbmate/Rails (`version` only: a row per migration).
    private func schemaMigrationsHistory(schema: String, db: Database, set: MigrationSet, columns: Set<String>)
        async throws -> [AppliedMigration]?
    {
        guard columns.contains("version"), !columns.contains("filename") else { return nil }
        let table: SQL = "\(identifier: [schema, "schema_migrations"])"
        guard columns.contains("dirty") else {
            let versions = try await db.query("SELECT version::text FROM \(table)").decode(String.self)
            return records(versions.map { ($0, nil as Date?) }, set: set)
        }
        let rows = try await db.query("SELECT version::bigint, dirty FROM \(table)").decode((Int64, Bool).self)
        guard let (version, dirty) = rows.max(by: { $0.0 < $1.0 }) else { return nil }
        if dirty {
            throw MigrationError(
                code: .dirtyHistory,
                message: "golang-migrate's \(schema).schema_migrations is dirty at version \(version): "
                    + "that migration failed part way, and the database may hold some of it",
                hint: "finish or undo migration \(version) by hand, then mark the database clean with "
                    + "`migrate force \(version)` (finished) or `migrate force <previous version>` (undone), "
                    + "or UPDATE \(schema).schema_migrations SET dirty = false")
        }
        // One row means everything up to it: golang-migrate applies versions in order.
        var applied = set.migrations.filter { !Migration.versionPrecedes(String(version), $0.version) }.map {
            ($0.version, nil as Date?)
        }
        if set[version: String(version)] == nil { applied.append((String(version), nil as Date?)) }
        return records(applied, set: set)
    }

    /// sqlx: `_sqlx_migrations (version, description, installed_on, success, checksum, execution_time)`.
    private func sqlxHistory(schema: String, db: Database, set: MigrationSet, columns: Set<String>) async throws
        -> [AppliedMigration]?
    {
        let rows = try await db.query(
            """
            SELECT version, description, installed_on, success, checksum
            FROM \(identifier: [schema, "_sqlx_migrations"]) ORDER BY version
            """
        ).decode((Int64, String, Date, Bool, [UInt8]).self)
        if let failed = rows.first(where: { !$0.3 }) {
            throw MigrationError(
                code: .dirtyHistory,
                message: "sqlx recorded migration \(failed.0) (\(failed.1)) in \(schema)._sqlx_migrations as failed "
                    + "part way",
                hint: "finish or undo migration \(failed.0) by hand, then delete its row: "
                    + "DELETE FROM \(schema)._sqlx_migrations WHERE version = \(failed.0)")
        }
        var result = records(rows.map { (String($0.0), $0.2) }, set: set)
        // sqlx's checksum is SHA-384 of the file as it was: a file changed since shows as modified.
        let recorded = Dictionary(rows.map { (String($0.0), $0.4) }) { first, _ in first }
        for index in result.indices {
            guard let migration = set[version: result[index].version],
                let checksum = recorded[String(Int64(migration.version) ?? -1)],
                let data = FileManager.default.contents(atPath: migration.upFile.path)
            else { continue }
            if SHA512.hexDigest(of: data, .sha384) != Self.hex(checksum) {
                result[index].checksum = "sqlx-sha384:" + Self.hex(checksum)
            }
        }
        return result
    }

    /// goose: `goose_db_version (id, version_id, is_applied, tstamp)`; the latest row of a version decides.
    private func gooseHistory(schema: String, db: Database, set: MigrationSet, columns: Set<String>) async throws
        -> [AppliedMigration]?
    {
        let rows = try await db.query(
            """
            SELECT version_id, is_applied, tstamp FROM \(identifier: [schema, "goose_db_version"]) ORDER BY id
            """
        ).decode((Int64, Bool, Date?).self)
        var latest: [Int64: (Bool, Date?)] = [:]
        for (version, isApplied, tstamp) in rows { latest[version] = (isApplied, tstamp) }
        // Version 0 is the row goose writes when it creates the table.
        return records(
            latest.filter { $0.key != 0 && $0.value.0 }.map { (String($0.key), $0.value.1) }, set: set)
    }

    /// diesel: `__diesel_schema_migrations (version, run_on)`.
    private func dieselHistory(schema: String, db: Database, set: MigrationSet, columns: Set<String>) async throws
        -> [AppliedMigration]?
    {
        let rows = try await db.query(
            "SELECT version::text, run_on FROM \(identifier: [schema, "__diesel_schema_migrations"])"
        ).decode((String, Date?).self)
        return records(rows, set: set)
    }

    /// Flyway: `flyway_schema_history`, replayed in `installed_rank` order.
    private func flywayHistory(schema: String, db: Database, set: MigrationSet, columns: Set<String>) async throws
        -> [AppliedMigration]?
    {
        let rows = try await db.query(
            """
            SELECT installed_rank, version, type, script, success, installed_on
            FROM \(identifier: [schema, "flyway_schema_history"]) ORDER BY installed_rank
            """
        ).decode((Int, String?, String, String, Bool, Date?).self)
        var applied: [String: Date?] = [:]
        for (rank, version, type, script, success, installedOn) in rows {
            guard success else {
                throw MigrationError(
                    code: .dirtyHistory,
                    message: "Flyway recorded \(script) (installed_rank \(rank)) in \(schema).flyway_schema_history "
                        + "as failed",
                    hint: "undo what it left by hand, then run `flyway repair` (or delete that row)")
            }
            guard let version else { continue }  // repeatable migrations have no version
            let key = Migration.versionKey(version)
            switch type {
            case "BASELINE":
                for migration in set.migrations where !Migration.versionPrecedes(version, migration.version) {
                    applied[Migration.versionKey(migration.version)] = installedOn
                }
            case "UNDO_SQL", "UNDO_JDBC", "DELETE":
                applied[key] = nil
            case "SCHEMA":
                continue
            default:
                applied[key] = installedOn
            }
        }
        return records(
            applied.map { key, date in (set[version: key]?.version ?? key, date) }, set: set)
    }

    /// Versions a tool recorded, as history rows of this set's files (current checksums), in the
    /// set's order; versions without a file keep their text, so `status` shows them as missing.
    private func records(_ versions: [(String, Date?)], set: MigrationSet) -> [AppliedMigration] {
        let position = Dictionary(set.migrations.enumerated().map { ($0.element.version, $0.offset) }) { a, _ in a }
        return versions.map { version, date in
            let migration = set[version: version]
            return AppliedMigration(
                version: migration?.version ?? version, name: migration?.name ?? "",
                checksum: migration?.checksum ?? "",
                appliedAt: date ?? Date(), durationMilliseconds: 0)
        }.sorted { a, b in
            switch (position[a.version], position[b.version]) {
            case (let x?, let y?): x < y
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): Migration.versionPrecedes(a.version, b.version)
            }
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
