import Foundation

extension Migrator {
    /// Every migration, applied or pending, plus recorded ones whose file is
    /// gone, with when they were applied and how long they took.
    ///
    /// ```swift
    /// for entry in try await migrator.status() where entry.state != .applied { print(entry) }
    /// ```
    public func status() async throws -> [MigrationStatus] {
        let set = try migrations()
        let applied = try await database.withConnection { db in
            try await adoptedOrApplied(on: db, set: set, record: false)
        }
        let appliedByVersion = Dictionary(applied.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        var entries = set.migrations.map { migration -> MigrationStatus in
            guard let record = appliedByVersion[migration.version] else {
                return MigrationStatus(
                    version: migration.version, name: migration.name, state: .pending, migration: migration)
            }
            return MigrationStatus(
                version: migration.version, name: migration.name,
                state: record.checksum == migration.checksum ? .applied : .modified, appliedAt: record.appliedAt,
                duration: .milliseconds(record.durationMilliseconds), migration: migration)
        }
        let known = Set(set.migrations.map(\.version))
        entries += applied.filter { !known.contains($0.version) }.map { record in
            MigrationStatus(
                version: record.version, name: record.name, state: .missingFile, appliedAt: record.appliedAt,
                duration: .milliseconds(record.durationMilliseconds))
        }
        return entries
    }

    /// Applied migrations whose file changed, and recorded ones whose file is
    /// gone; empty when the database matches the files.
    ///
    /// ```swift
    /// let problems = try await migrator.verify()
    /// if !problems.isEmpty { print(problems.map(\.message).joined(separator: "\n")) }
    /// ```
    public func verify() async throws -> [MigrationError] {
        try await status().compactMap { entry in
            switch entry.state {
            case .modified:
                return MigrationError(
                    code: .checksumMismatch, file: entry.migration?.upFile.path,
                    message: "\(entry.version)_\(entry.name) changed since it was applied")
            case .missingFile:
                return MigrationError(
                    code: .missingFile,
                    message: "\(entry.version)_\(entry.name) is applied but its file is missing")
            default:
                return nil
            }
        }
    }

    /// Runs one SQL file (a fixture, a seed) statement by statement in a
    /// transaction, templates rendered; errors name the file and line.
    ///
    /// ```swift
    /// try await Migrator.run(file: URL(filePath: "db/fixtures/20250101000000_users_fixture.sql"), on: db)
    /// ```
    ///
    /// Like a migration, the file's own settings (`SET search_path`, as `pg_dump` output
    /// has) are reset afterwards, so they do not stay on the pooled connection.
    ///
    /// - Throws: ``MigrationError`` when the file cannot be read or split;
    ///   ``PostgresError`` (with `sourceFile` and `sourceLine`) when a statement fails.
    public static func run(file: URL, on database: Database) async throws {
        let script = try Migration.script(at: file)
        try await database.transaction { tx in
            try await tx.execute(script.resettingSettings())
        }
    }
}
