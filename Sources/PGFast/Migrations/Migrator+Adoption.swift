import Foundation

/// Moving over from Python: a database migrated by pgfast (history in
/// `_pgfast_migrations`) or pgdbm (`schema_migrations`, per module) is
/// adopted (and so are the histories of other tools, see `Migrator+ToolAdoption.swift`): the versions it applied are recorded as applied here, with the
/// current files' checksums, and never applied again.
///
/// The legacy tables are looked for in the module's schema, then in `public`
/// (where both Python libraries put them by default). They are only read,
/// never changed, so the Python tool keeps working on the same database
/// during a move.
extension Migrator {
    /// The module's history, or, until the module adopted one, the Python library's
    /// history mapped to this set's files.
    ///
    /// With `record` (under the migration lock) the adopted rows are written to
    /// the history table with a marker row (empty version, the legacy table as its
    /// name), so adoption happens once: a module rolled back to nothing afterwards
    /// does not adopt the Python history again. Without `record` (status, verify,
    /// dry runs) nothing is written.
    /// `historyExists`: the caller made sure the history table exists (``up(to:force:)`` after
    /// creating it), which spares a look at the catalog on every turn.
    func adoptedOrApplied(on db: Database, set: MigrationSet, record: Bool, historyExists: Bool = false)
        async throws -> [AppliedMigration]
    {
        let applied = try await appliedMigrations(on: db, historyExists: historyExists)
        guard applied.isEmpty, try await !hasAdopted(on: db, historyExists: historyExists) else { return applied }
        guard let (source, legacy) = try await legacyHistory(on: db, set: set) else { return [] }
        guard record else { return legacy }
        try await ensureHistory(on: db)
        for record in legacy {
            try await db.execute(
                """
                INSERT INTO \(unsafeRaw: Self.historyTable) (module, version, name, checksum, applied_at, duration_ms)
                VALUES (\(module), \(record.version), \(record.name), \(record.checksum), \(record.appliedAt), 0)
                ON CONFLICT (module, version) DO NOTHING
                """)
        }
        try await db.execute(
            """
            INSERT INTO \(unsafeRaw: Self.historyTable) (module, version, name, checksum, duration_ms)
            VALUES (\(module), \(Self.adoptionMarker), \("adopted from " + source), '', 0)
            ON CONFLICT (module, version) DO NOTHING
            """)
        return try await appliedMigrations(on: db)
    }

    /// The version of the row that says a module adopted a legacy history.
    static let adoptionMarker = ""

    private func hasAdopted(on db: Database, historyExists known: Bool) async throws -> Bool {
        if !known, try await !historyExists(on: db) { return false }
        return try await db.value(
            """
            SELECT EXISTS (SELECT FROM \(unsafeRaw: Self.historyTable)
                           WHERE module = \(module) AND version = \(Self.adoptionMarker))
            """, as: Bool.self)
    }

    /// Versions recorded by pgfast (Python) or pgdbm, mapped to this set's files,
    /// with the table they came from; nil when there are none.
    private func legacyHistory(on db: Database, set: MigrationSet) async throws
        -> (source: String, records: [AppliedMigration])?
    {
        let schemas = [db.schema ?? "public", "public"].reduce(into: [String]()) { list, schema in
            if !list.contains(schema) { list.append(schema) }
        }
        // One look at the catalog first: on a new database (every template build) there is
        // no history table of any tool, and probing them one by one took a round trip each.
        guard try await anyTableExists(Self.legacyHistoryTables, schemas: schemas, on: db) else { return nil }
        for schema in schemas {
            let records = try await pgfastHistory(schema: schema, on: db, set: set)
            if !records.isEmpty { return ("\(schema)._pgfast_migrations", records) }
        }
        for schema in schemas {
            let records = try await pgdbmHistory(schema: schema, on: db, set: set)
            if !records.isEmpty { return ("\(schema).schema_migrations", records) }
        }
        for schema in schemas {
            if let found = try await toolHistory(schema: schema, on: db, set: set) { return found }
        }
        return nil
    }

    /// Python pgfast: `_pgfast_migrations (version, name, checksum, applied_at)`, one history per database.
    private func pgfastHistory(schema: String, on db: Database, set: MigrationSet) async throws
        -> [AppliedMigration]
    {
        guard try await tableExists("_pgfast_migrations", schema: schema, on: db) else { return [] }
        let rows = try await db.query(
            """
            SELECT version::text, name::text, applied_at FROM \(identifier: [schema, "_pgfast_migrations"])
            ORDER BY applied_at, version
            """
        ).decode((String, String, Date?).self)
        // Python pgfast keeps one history for the whole database: each module adopts the
        // versions it has files for, so modules split out of one Python project work.
        return rows.compactMap { version, _, appliedAt in
            guard let migration = set[version: version] else { return nil }
            return AppliedMigration(
                version: migration.version, name: migration.name, checksum: migration.checksum,
                appliedAt: appliedAt ?? Date(), durationMilliseconds: 0)
        }
    }

    /// pgdbm: `schema_migrations (filename, checksum, module_name, applied_at)`, filtered by module
    /// when the table has the column; `001_initial.sql` is version `001`.
    private func pgdbmHistory(schema: String, on db: Database, set: MigrationSet) async throws
        -> [AppliedMigration]
    {
        guard try await tableExists("schema_migrations", schema: schema, on: db) else { return [] }
        let columns = try await db.query(
            """
            SELECT column_name::text FROM information_schema.columns
            WHERE table_schema = \(schema) AND table_name = 'schema_migrations'
            """
        ).decode(String.self)
        guard columns.contains("filename") else { return [] }
        var sql: SQL = "SELECT filename::text, applied_at FROM \(identifier: [schema, "schema_migrations"])"
        if columns.contains("module_name") { sql.append(" WHERE module_name = \(module)") }
        sql.append(" ORDER BY applied_at, filename")
        var records: [AppliedMigration] = []
        for (filename, appliedAt) in try await db.query(sql).decode((String, Date?).self) {
            let version = String(filename.prefix { $0.isASCII && $0.isNumber })
            let stem = filename.hasSuffix(".sql") ? String(filename.dropLast(4)) : filename
            guard !version.isEmpty else { continue }
            let migration = set[version: version]
            records.append(
                AppliedMigration(
                    version: migration?.version ?? version,
                    name: migration?.name ?? String(stem.dropFirst(version.count + 1)),
                    checksum: migration?.checksum ?? "", appliedAt: appliedAt ?? Date(), durationMilliseconds: 0))
        }
        return records
    }

    /// The history tables of the tools a module can move over from (``toolHistory(schema:on:set:)``).
    static let legacyHistoryTables = [
        "_pgfast_migrations", "schema_migrations", "_sqlx_migrations", "goose_db_version",
        "__diesel_schema_migrations", "flyway_schema_history",
    ]

    /// Whether any of `tables` exists in any of `schemas` (tables, views, foreign tables alike).
    func anyTableExists(_ tables: [String], schemas: [String], on db: Database) async throws -> Bool {
        try await db.value(
            """
            SELECT EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = ANY(\(schemas)) AND c.relname = ANY(\(tables)))
            """, as: Bool.self)
    }

    func tableExists(_ table: String, schema: String, on db: Database) async throws -> Bool {
        try await db.value(
            "SELECT to_regclass(\(SQL.quoteIdentifier(schema) + "." + SQL.quoteIdentifier(table))) IS NOT NULL",
            as: Bool.self)
    }
}
