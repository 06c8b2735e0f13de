import Foundation

extension MigrationSet {
    /// Writes this set into `directory` in PGFast's layout, for a team moving over for good.
    ///
    /// Each migration becomes `{version}_{name}_up.sql` (and `_down.sql` when it has one),
    /// in the same order: versions that are already 14-digit and increasing are kept,
    /// others are replaced by timestamps one second apart from `2000-01-01 00:00:00`.
    /// A migration that ran outside a transaction gets `-- pgfast:no-transaction`,
    /// dependencies get `-- depends_on:` with the new versions. Files PGFast reads as they
    /// are keep their text, comments included; sections (dbmate, goose) and golang-migrate's
    /// `BEGIN`/`COMMIT` wrappers are written as the statements PGFast would run.
    ///
    /// ```swift
    /// let set = try MigrationSet.load(directories: [URL(filePath: "db/goose")])
    /// let written = try set.writePGFastLayout(to: URL(filePath: "db/migrations"))
    /// ```
    ///
    /// - Returns: each migration with the new up file's URL, in apply order.
    /// - Throws: ``MigrationError`` (``MigrationError/Code/invalidArgument``) when `directory`
    ///   exists and is not empty: nothing is overwritten.
    @discardableResult
    public func writePGFastLayout(to directory: URL) throws -> [(migration: Migration, upFile: URL)] {
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard existing.isEmpty else {
            throw MigrationError(
                code: .invalidArgument, file: directory.path,
                message: "refusing to write into \(directory.path): it is not empty (\(existing.count) entries)",
                hint: "name a new or empty directory")
        }
        let versions = pgfastVersions()
        var files: [(URL, String)] = []
        var written: [(migration: Migration, upFile: URL)] = []
        for (migration, version) in zip(migrations, versions) {
            let name = migration.name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" }
            let stem = "\(version)_\(String(name))"
            let dependencies = migration.dependencies.compactMap { dependency in
                migrations.firstIndex { $0.version == dependency }.map { versions[$0] }
            }
            let source = migration.upFile.path
            var header = ["-- converted from \(style) migration \(migration.displayName) (\(source))"]
            if !dependencies.isEmpty { header.append("-- depends_on: " + dependencies.joined(separator: ", ")) }
            let up = directory.appending(path: "\(stem)_up.sql")
            files.append(
                (up, try Self.pgfastText(migration, .up, header: header, noTransaction: !migration.runsInTransaction)))
            if migration.downFile != nil {
                files.append(
                    (
                        directory.appending(path: "\(stem)_down.sql"),
                        try Self.pgfastText(
                            migration, .down, header: [header[0]], noTransaction: !migration.downRunsInTransaction)
                    ))
            }
            written.append((migration, up))
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (url, text) in files {
            try Data(text.utf8).write(to: url)
        }
        return written
    }

    /// The versions in PGFast's layout, in apply order.
    private func pgfastVersions() -> [String] {
        let keep =
            migrations.allSatisfy { $0.version.count == 14 && $0.version.allSatisfy(\.isASCII) }
            && zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version }
        guard !keep else { return migrations.map(\.version) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        let start = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01 00:00:00 UTC
        return migrations.indices.map { formatter.string(from: start.addingTimeInterval(Double($0))) }
    }

    /// A direction's SQL as a PGFast file: the original text when PGFast runs it as written,
    /// else the statements PGFast would run.
    private static func pgfastText(
        _ migration: Migration, _ kind: Migration.FileName.Kind, header: [String], noTransaction: Bool
    ) throws -> String {
        var lines = header
        if noTransaction { lines.insert("-- pgfast:no-transaction", at: 0) }
        let url = kind == .up ? migration.upFile : migration.downFile!
        let script = kind == .up ? try migration.upScript() : try migration.downScript()
        let raw = try String(contentsOf: url, encoding: .utf8)
        let rawScript = try? SQLScript(raw, fileName: url.path)
        var body: String
        if !migration.layout.usesSections, rawScript?.statements == script.statements {
            body = raw
        } else {
            body = script.statements.map { statement in
                guard let data = statement.copyData else { return statement.text + ";\n" }
                return statement.text + ";\n" + data + "\\.\n"
            }.joined(separator: "\n")
        }
        if !body.hasSuffix("\n") { body += "\n" }
        return lines.joined(separator: "\n") + "\n\n" + body
    }
}
