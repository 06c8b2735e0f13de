import Foundation

extension MigrationSet {
    /// Loads and validates every migration in `directories` (subdirectories included).
    ///
    /// Every `.sql` file must be a migration of the directory's layout (see ``Style``):
    /// PGFast's `{version}_{name}_up.sql` with an optional `_down.sql`, pgdbm's or sqlx's
    /// `NNN_name.sql`, golang-migrate's `.up.sql` / `.down.sql`, dbmate's and goose's sectioned
    /// files, diesel's folders, Flyway's `V…__….sql`. The layout is detected from the files;
    /// `layout`, or a `.pgfast-layout` file in a directory, names it instead. One directory
    /// holds one layout: files of another are reported by name. `*_fixture.sql` files and
    /// `fixtures` subfolders are left to ``FixtureSet``. Each file is read, checksummed and
    /// split, so broken SQL fails here, before anything runs.
    ///
    /// ```swift
    /// let set = try MigrationSet.load(directories: [URL(filePath: "Sources/Users/migrations")])
    /// let goose = try MigrationSet.load(directories: [URL(filePath: "db/goose")], layout: .goose)
    /// ```
    ///
    /// - Throws: ``MigrationError`` for the first problem, with the rest in
    ///   ``MigrationError/additionalErrors``.
    public static func load(directories: [URL], layout: Style? = nil) throws -> MigrationSet {
        var loader = Loader(layout: layout)
        return try loader.load(directories)
    }

    /// Loads directories given as paths, relative ones resolved against `base`.
    ///
    /// ```swift
    /// let set = try MigrationSet.load(directories: ["db/migrations"], relativeTo: projectRoot)
    /// ```
    public static func load(
        directories: [String], relativeTo base: URL = URL(filePath: FileManager.default.currentDirectoryPath),
        layout: Style? = nil
    ) throws -> MigrationSet {
        try load(
            directories: directories.map { $0.hasPrefix("/") ? URL(filePath: $0) : base.appending(path: $0) },
            layout: layout)
    }

    /// One pass over the files that keeps every problem it meets.
    private struct Loader {
        typealias File = LayoutFile

        /// The layout asked for, over detection and `.pgfast-layout` files.
        let layout: Style?
        var errors: [MigrationError] = []
        /// The layout of the set being loaded, once the directories are read.
        private var style: Style = .pgfast

        init(layout: Style?) {
            self.layout = layout
        }

        mutating func load(_ directories: [URL]) throws -> MigrationSet {
            let (files, style) = collectFiles(directories)
            self.style = style
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
            let (ordered, orderErrors) = MigrationSet.applyOrder(
                migrations, dependencyLines: dependencyLines, by: style.precedes)
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
                if let entry = directoryFiles(directory) { perDirectory.append(entry) }
            }
            // Every directory of a set shares one layout: the first one's.
            let style = perDirectory.first?.style ?? layout ?? .pgfast
            var files: [File] = []
            for entry in perDirectory {
                if entry.style == style {
                    files += entry.files
                } else if let first = entry.files.first {
                    var error = mixedStyleError(
                        first, directory: entry.directory, fileStyle: entry.style, directoryStyle: style)
                    error.message =
                        "\(entry.directory.path) uses \(entry.style) file names but the other directories use \(style) names"
                    errors.append(error)
                }
            }
            return (files, style)
        }

        /// One directory's files in its layout: the one asked for, pinned, or the one its files share.
        private mutating func directoryFiles(_ directory: URL) -> (directory: URL, style: Style, files: [File])? {
            let candidates = MigrationSet.candidates(in: directory)
            var pinned = layout
            if pinned == nil {
                do {
                    pinned = try MigrationSet.pinnedStyle(of: directory)
                } catch let error as MigrationError {
                    errors.append(error)
                    return nil
                } catch {
                    return nil
                }
            }
            var byStyle: [Style: [Candidate]] = [:]
            for candidate in candidates {
                if case .invalid(let url, let reason) = candidate {
                    errors.append(invalidName(url, reason: reason, style: pinned))
                } else if let detected = candidate.detectedStyle {
                    byStyle[detected, default: []].append(candidate)
                }
            }
            guard !byStyle.isEmpty else { return nil }
            let style: Style
            if let pinned {
                style = pinned
            } else if Set(byStyle.keys) == [.golangMigrate, .pgdbm] {
                style = .sqlx  // sqlx alone mixes up-only files with .up.sql/.down.sql pairs
            } else if byStyle.keys.count == 1, let files = byStyle[.golangMigrate] ?? byStyle[.pgdbm],
                files.contains(where: {
                    FileManager.default.contents(atPath: $0.url.path)?.starts(with: Self.sqlxNoTransaction) == true
                })
            {
                // sqlx's files share golang-migrate's and pgdbm's names; only sqlx reads -- no-transaction.
                style = .sqlx
            } else {
                // Keep the majority layout (ties: the order of Style.all) and report the odd files out.
                style = byStyle.keys.max { a, b in
                    let (countA, countB) = (byStyle[a]!.count, byStyle[b]!.count)
                    if countA != countB { return countA < countB }
                    return Style.all.firstIndex(of: a)! > Style.all.firstIndex(of: b)!
                }!
            }
            var files: [File] = []
            for candidate in byStyle.values.joined() {
                if case .repeatable(let url) = candidate {
                    errors.append(
                        MigrationError(
                            code: .invalidFileName, file: url.path,
                            message:
                                "\(url.lastPathComponent) is a Flyway repeatable migration, which PGFast does not run",
                            hint: "PGFast applies each migration once: move its SQL into a versioned "
                                + "V{version}__{description}.sql file, or load it as a fixture"))
                } else if let file = candidate.file(in: style) {
                    files.append(file)
                } else if pinned != nil {
                    errors.append(
                        invalidName(candidate.url, reason: "not a \(style) migration (\(style.pattern))", style: style))
                } else if let fileStyle = candidate.detectedStyle {
                    errors.append(
                        mixedStyleError(
                            candidate.layoutFile
                                ?? File(
                                    url: candidate.url, version: "", name: candidate.url.lastPathComponent, kind: .up),
                            directory: directory, fileStyle: fileStyle, directoryStyle: style))
                }
            }
            for (index, file) in files.enumerated() where style.usesSections {
                files[index].kind = .up
                // The down section, when the file has one, is the same file.
                if let text = try? String(contentsOf: file.url, encoding: .utf8),
                    (try? MigrationSections.script(style: style, kind: .down, text: text, file: file.url)) != nil
                {
                    files.append(File(url: file.url, version: file.version, name: file.name, kind: .down))
                }
            }
            return (directory, style, files)
        }

        private static let sqlxNoTransaction = Data("-- no-transaction".utf8)

        private func invalidName(_ url: URL, reason: String, style: Style?) -> MigrationError {
            MigrationError(
                code: .invalidFileName, file: url.path,
                message: "invalid migration file name \"\(url.lastPathComponent)\": \(reason)",
                hint: style.map { "name \($0) migrations like \($0.pattern)" }
                    ?? "name migrations like 20250101120000_create_users_up.sql")
        }

        private func mixedStyleError(_ file: File, directory: URL, fileStyle: Style, directoryStyle: Style)
            -> MigrationError
        {
            MigrationError(
                code: .mixedStyles, file: file.url.path,
                message: "\(file.url.lastPathComponent) is named in \(fileStyle) style (\(fileStyle.pattern)), "
                    + "but \(directory.path) uses \(directoryStyle) style (\(directoryStyle.pattern))",
                hint: fileStyle == .pgdbm && directoryStyle == .pgfast
                    ? "rename it to {14-digit timestamp}_\(file.name)_up.sql; one directory must use one style"
                    : "one directory must use one layout: move the \(fileStyle) files to a directory of their own, "
                        + "or convert them (pgfast schema convert)")
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
            guard let upData = data(up.url), let (upScript, upTransaction) = script(upData, up.url, .up) else {
                return nil
            }
            var downData: Data?
            var downScript: SQLScript?
            var downTransaction: Bool?
            if let down {
                // One file with both sections is hashed once.
                downData = down.url == up.url ? nil : data(down.url)
                guard let data = downData ?? (down.url == up.url ? upData : nil),
                    let (script, transaction) = script(data, down.url, .down)
                else { return nil }
                downScript = script
                downTransaction = transaction
            }
            let errorCount = errors.count
            var dependencies: [String] = []
            let layoutTransaction = MigrationSections.configuredTransaction(style: style, upFile: up.url)
            var runsInTransaction = upTransaction ?? layoutTransaction ?? true
            var downRunsInTransaction = downTransaction ?? layoutTransaction ?? true
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
                checksum: Migration.checksum(up: upData, down: downData), layout: style)
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

        /// The file's script for `kind` in the set's layout, and the transaction choice the layout's
        /// markers make (nil: none).
        private mutating func script(_ data: Data, _ url: URL, _ kind: Migration.FileName.Kind)
            -> (SQLScript, Bool?)?
        {
            guard let text = String(data: data, encoding: .utf8) else {
                errors.append(MigrationError(code: .unreadableFile, file: url.path, message: "file is not valid UTF-8"))
                return nil
            }
            do {
                guard let result = try MigrationSections.script(style: style, kind: kind, text: text, file: url) else {
                    return nil
                }
                return result
            } catch let error as MigrationError {
                errors.append(error)
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
