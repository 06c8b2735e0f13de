import Foundation

/// Moving over from Python: a database migrated by pgfast (history in
/// `_pgfast_migrations`) or pgdbm (`schema_migrations`, per module) is
/// adopted: the versions it applied are recorded as applied here, with the
/// current files' checksums, and never applied again.
extension Migrator {
    /// The module's history, after adopting a Python library's history the first time.
    func adoptedOrApplied(on db: Database, set: MigrationSet) async throws -> [AppliedMigration] {
        let applied = try await appliedMigrations(on: db)
        guard applied.isEmpty else { return applied }
        let legacy = try await legacyHistory(on: db, set: set)
        guard !legacy.isEmpty else { return [] }
        guard try await historyExists(on: db) else { return legacy }
        for record in legacy {
            try await db.execute(
                """
                INSERT INTO \(unsafeRaw: Self.historyTable) (module, version, name, checksum, applied_at, duration_ms)
                VALUES (\(module), \(record.version), \(record.name), \(record.checksum), \(record.appliedAt), 0)
                ON CONFLICT (module, version) DO NOTHING
                """)
        }
        return legacy
    }

    /// Versions recorded by pgfast (Python) or pgdbm, mapped to this set's files.
    private func legacyHistory(on db: Database, set: MigrationSet) async throws -> [AppliedMigration] {
        let byVersion = Dictionary(set.migrations.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        var records: [AppliedMigration] = []
        let schema = db.schema ?? "public"
        if try await tableExists("_pgfast_migrations", schema: schema, on: db) {
            let rows = try await db.query(
                "SELECT version::text, name::text, applied_at FROM \(identifier: [schema, "_pgfast_migrations"]) ORDER BY applied_at, version"
            ).decode((String, String, Date?).self)
            for (version, name, appliedAt) in rows {
                records.append(
                    AppliedMigration(
                        version: version, name: name, checksum: byVersion[version]?.checksum ?? "",
                        appliedAt: appliedAt ?? Date(), durationMilliseconds: 0))
            }
        }
        if records.isEmpty, try await tableExists("schema_migrations", schema: schema, on: db) {
            let columns = try await db.query(
                """
                SELECT column_name::text FROM information_schema.columns
                WHERE table_schema = \(schema) AND table_name = 'schema_migrations'
                """
            ).decode(String.self)
            guard columns.contains("filename") else { return records }
            var sql: SQL = "SELECT filename::text, applied_at FROM \(identifier: [schema, "schema_migrations"])"
            if columns.contains("module_name") { sql.append(" WHERE module_name = \(module)") }
            sql.append(" ORDER BY applied_at, filename")
            for (filename, appliedAt) in try await db.query(sql).decode((String, Date?).self) {
                // pgdbm: 001_initial.sql -> version 001.
                let version = String(filename.prefix { $0.isNumber })
                guard !version.isEmpty, let migration = byVersion[version] else { continue }
                records.append(
                    AppliedMigration(
                        version: version, name: migration.name, checksum: migration.checksum,
                        appliedAt: appliedAt ?? Date(), durationMilliseconds: 0))
            }
        }
        return records
    }

    private func tableExists(_ table: String, schema: String, on db: Database) async throws -> Bool {
        try await db.value(
            "SELECT to_regclass(\(SQL.quoteIdentifier(schema) + "." + SQL.quoteIdentifier(table))) IS NOT NULL",
            as: Bool.self)
    }
}
