import Foundation

extension MigrationSet {
    /// Loads and validates every migration in `directories` (subdirectories included).
    ///
    /// Every `.sql` file must be a migration: `{version}_{name}_up.sql` and an optional
    /// `{version}_{name}_down.sql`, or, for a whole directory, pgdbm's `NNN_name.sql`.
    /// `*_fixture.sql` files and `fixtures` subfolders are left to ``FixtureSet``.
    /// Each file is read, checksummed and split, so broken SQL fails here, before anything runs.
    ///
    /// ```swift
    /// let set = try MigrationSet.load(directories: [URL(filePath: "Sources/Users/migrations")])
    /// ```
    ///
    /// - Throws: ``MigrationError`` for the first problem, with the rest in
    ///   ``MigrationError/additionalErrors``.
    public static func load(directories: [URL]) throws -> MigrationSet {
        var loader = Loader()
        return try loader.load(directories)
    }

    /// Loads directories given as paths, relative ones resolved against `base`.
    ///
    /// ```swift
    /// let set = try MigrationSet.load(directories: ["db/migrations"], relativeTo: projectRoot)
    /// ```
    public static func load(
        directories: [String], relativeTo base: URL = URL(filePath: FileManager.default.currentDirectoryPath)
    ) throws -> MigrationSet {
        try load(directories: directories.map { $0.hasPrefix("/") ? URL(filePath: $0) : base.appending(path: $0) })
    }

    /// One pass over the files that keeps every problem it meets.
    private struct Loader {
        struct File {
            var url: URL
            var version: String
            var name: String
            var kind: Migration.FileName.Kind
        }

        var errors: [MigrationError] = []

        mutating func load(_ directories: [URL]) throws -> MigrationSet {
            let (files, style) = collectFiles(directories)
            var migrations: [Migration] = []
            var dependencyLines: [String: Int] = [:]
            for (up, down) in pairUp(files) {
                if let (migration, line) = read(up: up, down: down) {
                    migrations.append(migration)
                    dependencyLines[migration.version] = line
                }
            }
            // Resolve `depends_on: 1` to pgdbm's "001"; unknown versions stay as written for the error.
            let canonical = Dictionary(migrations.map { (Migration.versionKey($0.version), $0.version) }) { a, _ in a }
            for index in migrations.indices {
                migrations[index].dependencies = migrations[index].dependencies.map { dependency in
                    guard dependency.allSatisfy({ $0.isASCII && $0.isNumber }),
                        let version = canonical[Migration.versionKey(dependency)]
                    else { return dependency }
                    return version
                }
            }
            let (ordered, orderErrors) = MigrationSet.applyOrder(migrations, dependencyLines: dependencyLines)
            try MigrationError.throwIfAny(errors + orderErrors)
            return MigrationSet(ordered: ordered, style: style, directories: directories)
        }

        /// The migration files of every directory, after checking names and that styles are not mixed.
        private mutating func collectFiles(_ directories: [URL]) -> ([File], Style) {
            var perDirectory: [(directory: URL, style: Style, files: [File])] = []
            for directory in directories {
                guard SQLFileSearch.isDirectory(directory) else {
                    errors.append(
                        MigrationError(
                            code: .directoryNotFound, file: directory.path,
                            message: "migrations directory not found"))
                    continue
                }
                var pgfast: [File] = []
                var pgdbm: [File] = []
                for url in SQLFileSearch.sqlFiles(in: directory, skipping: ["fixtures"]) {
                    switch Migration.FileName.parse(url.lastPathComponent) {
                    case .pgfast(let version, let name, let kind):
                        pgfast.append(File(url: url, version: version, name: name, kind: kind))
                    case .pgdbm(let version, let name):
                        pgdbm.append(File(url: url, version: version, name: name, kind: .up))
                    case .fixture:
                        continue
                    case .invalid(let reason):
                        errors.append(
                            MigrationError(
                                code: .invalidFileName, file: url.path,
                                message: "invalid migration file name \"\(url.lastPathComponent)\": \(reason)",
                                hint: "name migrations like 20250101120000_create_users_up.sql"))
                    }
                }
                switch (pgfast.isEmpty, pgdbm.isEmpty) {
                case (true, true): continue
                case (false, true): perDirectory.append((directory, .pgfast, pgfast))
                case (true, false): perDirectory.append((directory, .pgdbm, pgdbm))
                case (false, false):
                    // Keep the majority style and report the odd files out.
                    let pgdbmWins = pgdbm.count > pgfast.count
                    for file in pgdbmWins ? pgfast : pgdbm {
                        errors.append(
                            mixedStyleError(file, directory: directory, directoryStyle: pgdbmWins ? .pgdbm : .pgfast))
                    }
                    perDirectory.append((directory, pgdbmWins ? .pgdbm : .pgfast, pgdbmWins ? pgdbm : pgfast))
                }
            }
            let style: Style =
                perDirectory.allSatisfy { $0.style == .pgdbm } && !perDirectory.isEmpty ? .pgdbm : .pgfast
            var files: [File] = []
            for entry in perDirectory {
                if entry.style == style {
                    files += entry.files
                } else if let first = entry.files.first {
                    var error = mixedStyleError(first, directory: entry.directory, directoryStyle: entry.style)
                    error.message =
                        "\(entry.directory.path) uses \(entry.style) file names but the other directories use \(style) names"
                    errors.append(error)
                }
            }
            return (files, style)
        }

        private func mixedStyleError(_ file: File, directory: URL, directoryStyle: Style) -> MigrationError {
            let fileStyle: Style = directoryStyle == .pgdbm ? .pgfast : .pgdbm
            let pattern = [Style.pgfast: "{version}_{name}_up.sql", .pgdbm: "NNN_name.sql"]
            return MigrationError(
                code: .mixedStyles, file: file.url.path,
                message: "\(file.url.lastPathComponent) is named in \(fileStyle) style (\(pattern[fileStyle]!)), "
                    + "but \(directory.path) uses \(directoryStyle) style (\(pattern[directoryStyle]!))",
                hint: fileStyle == .pgdbm
                    ? "rename it to {14-digit timestamp}_\(file.name)_up.sql; one directory must use one style"
                    : "one directory must use one style")
        }

        /// Groups files by version: one up file, at most one down file with the same name.
        private mutating func pairUp(_ files: [File]) -> [(up: File, down: File?)] {
            var groups: [String: (ups: [File], downs: [File])] = [:]
            for file in files.sorted(by: { $0.url.path < $1.url.path }) {
                let key = Migration.versionKey(file.version)
                if file.kind == .up { groups[key, default: ([], [])].ups.append(file) }
                if file.kind == .down { groups[key, default: ([], [])].downs.append(file) }
            }
            var pairs: [(up: File, down: File?)] = []
            for key in groups.keys.sorted(by: Migration.versionPrecedes) {
                let (ups, downs) = groups[key]!
                for (kind, files) in [("up", ups), ("down", downs)] where files.count > 1 {
                    for duplicate in files.dropFirst() {
                        errors.append(
                            MigrationError(
                                code: .duplicateVersion, file: duplicate.url.path,
                                message: "version \(duplicate.version) is used by another \(kind) file too: "
                                    + files[0].url.path,
                                detail: "files: " + files.map(\.url.path).joined(separator: ", "),
                                hint: "give one of them a new version (a current timestamp)"))
                    }
                }
                guard let up = ups.first else {
                    for down in downs {
                        errors.append(
                            MigrationError(
                                code: .downWithoutUp, file: down.url.path,
                                message: "\(down.url.lastPathComponent) has no matching up file",
                                hint: "add \(down.version)_\(down.name)_up.sql, or delete the down file"))
                    }
                    continue
                }
                var down = downs.first
                if let candidate = down, candidate.name != up.name {
                    errors.append(
                        MigrationError(
                            code: .downWithoutUp, file: candidate.url.path,
                            message: "\(candidate.url.lastPathComponent) has no matching up file: the up file "
                                + "for version \(up.version) is \(up.url.lastPathComponent)",
                            hint: "rename it to \(up.version)_\(up.name)_down.sql"))
                    down = nil
                }
                pairs.append((up, down))
            }
            return pairs
        }

        /// Reads, checksums and splits one migration; nil (with errors recorded) if it is broken.
        private mutating func read(up: File, down: File?) -> (Migration, Int?)? {
            guard let upData = data(up.url), let upScript = script(upData, up.url) else { return nil }
            var downData: Data?
            var downScript: SQLScript?
            if let down {
                downData = data(down.url)
                downScript = downData.flatMap { script($0, down.url) }
                guard downScript != nil else { return nil }
            }
            let errorCount = errors.count
            var dependencies: [String] = []
            var runsInTransaction = true
            var downRunsInTransaction = true
            for (key, value) in upScript.directives.sorted(by: { $0.key < $1.key }) {
                let line = upScript.directiveLines[key]
                switch key {
                case "depends_on":
                    for token in value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
                    where !dependencies.contains(String(token)) {
                        dependencies.append(String(token))
                    }
                case "no_transaction":
                    runsInTransaction = !flag(value, file: up.url, line: line)
                default:
                    errors.append(unknownDirective(key, file: up.url, line: line))
                }
            }
            if let downScript, let down {
                for (key, value) in downScript.directives.sorted(by: { $0.key < $1.key }) {
                    let line = downScript.directiveLines[key]
                    switch key {
                    case "no_transaction":
                        downRunsInTransaction = !flag(value, file: down.url, line: line)
                    case "depends_on":
                        errors.append(
                            MigrationError(
                                code: .invalidDirective, file: down.url.path, line: line,
                                message: "depends_on in a down file has no effect",
                                hint: "declare dependencies in \(up.url.lastPathComponent)"))
                    default:
                        errors.append(unknownDirective(key, file: down.url, line: line))
                    }
                }
            }
            guard errors.count == errorCount else { return nil }
            let migration = Migration(
                version: up.version, name: up.name, upFile: up.url, downFile: down?.url, dependencies: dependencies,
                runsInTransaction: runsInTransaction, downRunsInTransaction: downRunsInTransaction,
                checksum: Migration.checksum(up: upData, down: downData))
            return (migration, upScript.directiveLines["depends_on"])
        }

        private mutating func data(_ url: URL) -> Data? {
            do {
                return try Data(contentsOf: url)
            } catch {
                errors.append(
                    MigrationError(code: .unreadableFile, file: url.path, message: "cannot read file: \(error)"))
                return nil
            }
        }

        private mutating func script(_ data: Data, _ url: URL) -> SQLScript? {
            guard let text = String(data: data, encoding: .utf8) else {
                errors.append(MigrationError(code: .unreadableFile, file: url.path, message: "file is not valid UTF-8"))
                return nil
            }
            do {
                return try SQLScript(text, fileName: url.path)
            } catch let error as SQLScriptError {
                errors.append(MigrationError(error))
            } catch {
                errors.append(MigrationError(code: .invalidScript, file: url.path, message: "\(error)"))
            }
            return nil
        }

        /// `-- pgfast:no-transaction` alone means yes; an explicit value must be a boolean.
        private mutating func flag(_ value: String, file: URL, line: Int?) -> Bool {
            switch value.lowercased() {
            case "", "true", "yes", "on": return true
            case "false", "no", "off": return false
            default:
                errors.append(
                    MigrationError(
                        code: .invalidDirective, file: file.path, line: line,
                        message: "no-transaction takes no value (or true/false), got \"\(value)\""))
                return false
            }
        }

        private func unknownDirective(_ key: String, file: URL, line: Int?) -> MigrationError {
            MigrationError(
                code: .invalidDirective, file: file.path, line: line,
                message: "unknown directive pgfast:\(key.replacingOccurrences(of: "_", with: "-"))",
                hint: "known directives: -- depends_on: <versions>, -- pgfast:no-transaction")
        }
    }
}
