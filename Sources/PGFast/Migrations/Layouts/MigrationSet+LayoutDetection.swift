import Foundation

extension MigrationSet {
    /// The name of the file that pins a directory's layout (its text is a ``Style`` name).
    public static let layoutFileName = ".pgfast-layout"

    /// A migration file found in a directory, with what its name (and, for files whose
    /// name fits several tools, its text) says.
    struct LayoutFile {
        var url: URL
        var version: String
        var name: String
        var kind: Migration.FileName.Kind
    }

    /// What one file could be, before the directory's layout is decided.
    enum Candidate {
        /// `{14 digits}_{name}_up.sql`
        case pgfast(LayoutFile)
        /// `{digits}_{name}.up.sql` / `.down.sql`: golang-migrate or sqlx.
        case dotted(LayoutFile)
        /// `{digits}_{name}.sql`; `sections` says whose markers its text has.
        case plain(LayoutFile, sections: Style?)
        /// `{version}_{name}/up.sql` or `down.sql`.
        case diesel(LayoutFile)
        /// `V…__….sql` or `U…__….sql`.
        case flyway(LayoutFile)
        /// Flyway's repeatable `R__….sql`.
        case repeatable(URL)
        case invalid(URL, reason: String)

        var url: URL {
            switch self {
            case .pgfast(let file), .dotted(let file), .plain(let file, _), .diesel(let file), .flyway(let file):
                file.url
            case .repeatable(let url), .invalid(let url, _): url
            }
        }

        /// The file, for every candidate that is a migration.
        var layoutFile: LayoutFile? {
            switch self {
            case .pgfast(let file), .dotted(let file), .plain(let file, _), .diesel(let file), .flyway(let file): file
            case .repeatable, .invalid: nil
            }
        }

        /// The style this file alone points to.
        var detectedStyle: Style? {
            switch self {
            case .pgfast: .pgfast
            case .dotted: .golangMigrate
            case .plain(_, let sections): sections ?? .pgdbm
            case .diesel: .diesel
            case .flyway, .repeatable: .flyway
            case .invalid: nil
            }
        }

        /// The file as a migration of `style`; nil when that style does not name files so.
        func file(in style: Style) -> LayoutFile? {
            switch (self, style.base) {
            case (.pgfast(let file), .pgfast), (.dotted(let file), .golangMigrate), (.dotted(let file), .sqlx),
                (.plain(let file, _), .pgdbm), (.plain(let file, _), .sqlx), (.plain(let file, _), .dbmate),
                (.plain(let file, _), .goose), (.diesel(let file), .diesel), (.flyway(let file), .flyway):
                file
            default: nil
            }
        }
    }

    /// The style a directory's `.pgfast-layout` names, nil without one.
    static func pinnedStyle(of directory: URL) throws -> Style? {
        let url = directory.appending(path: layoutFileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let words = String(decoding: data, as: UTF8.self).split(separator: "\n")
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard words.count == 1, let style = Style(name: words[0]) else {
            throw MigrationError(
                code: .invalidArgument, file: url.path,
                message: "\(layoutFileName) must name one layout, got \"\(words.joined(separator: " "))\"",
                hint: "write one of: " + Style.all.map(\.description).joined(separator: ", "))
        }
        return style
    }

    /// Every migration candidate below `directory` (fixtures and `fixtures` folders left out).
    static func candidates(in directory: URL) -> [Candidate] {
        SQLFileSearch.sqlFiles(in: directory, skipping: ["fixtures"]).compactMap { url in
            candidate(url, in: directory)
        }
    }

    private static func candidate(_ url: URL, in directory: URL) -> Candidate? {
        let fileName = url.lastPathComponent
        let folder = url.deletingLastPathComponent()
        if fileName == "up.sql" || fileName == "down.sql", folder.standardizedFileURL != directory.standardizedFileURL {
            guard let (version, name) = dieselFolder(folder.lastPathComponent) else {
                return .invalid(
                    url,
                    reason: "diesel migrations live in {YYYY-MM-DD-HHMMSS}_{name}/\(fileName), "
                        + "not in \(folder.lastPathComponent)/")
            }
            return .diesel(LayoutFile(url: url, version: version, name: name, kind: fileName == "up.sql" ? .up : .down))
        }
        if let flyway = flywayName(fileName) {
            guard let (version, description, kind) = flyway else { return .repeatable(url) }
            return .flyway(LayoutFile(url: url, version: version, name: description, kind: kind))
        }
        for (suffix, kind) in [(".up.sql", Migration.FileName.Kind.up), (".down.sql", .down)]
        where fileName.hasSuffix(suffix) {
            guard let (version, name) = Migration.FileName.split(fileName.dropLast(suffix.count)) else {
                return .invalid(url, reason: "expected {version}_{name}\(suffix)")
            }
            return .dotted(LayoutFile(url: url, version: version, name: name, kind: kind))
        }
        switch Migration.FileName.parse(fileName) {
        case .pgfast(let version, let name, let kind):
            return .pgfast(LayoutFile(url: url, version: version, name: name, kind: kind))
        case .pgdbm(let version, let name):
            return .plain(
                LayoutFile(url: url, version: version, name: name, kind: .up), sections: sectionStyle(of: url))
        case .fixture:
            return nil
        case .invalid(let reason):
            return .invalid(url, reason: reason)
        }
    }

    /// Whether a file's text has dbmate's or goose's section markers.
    private static func sectionStyle(of url: URL) -> Style? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let marker = MigrationSections.marker(in: line)
            if marker?.hasPrefix("migrate:") == true { return .dbmate }
            if marker?.hasPrefix("+goose") == true { return .goose }
        }
        return nil
    }

    /// `2024-01-02-030405_add_users` is version `20240102030405`, name `add_users`, as diesel reads it.
    private static func dieselFolder(_ folder: String) -> (String, String)? {
        guard let underscore = folder.firstIndex(of: "_") else { return nil }
        let prefix = folder[..<underscore]
        let name = folder[folder.index(after: underscore)...]
        let version = prefix.filter { $0 != "-" }
        guard !name.isEmpty, !version.isEmpty, version.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return (String(version), String(name))
    }

    /// Flyway's `V1.1__add_users.sql` (version `1.1`), `U1.1__….sql` (its undo); `.some(nil)`
    /// for a repeatable `R__….sql`; nil when the name is not Flyway's.
    private static func flywayName(_ fileName: String) -> (String, String, Migration.FileName.Kind)?? {
        guard fileName.hasSuffix(".sql"), let separator = fileName.range(of: "__") else { return nil }
        let prefix = fileName[..<separator.lowerBound]
        let description = fileName[separator.upperBound...].dropLast(".sql".count)
        if prefix == "R" { return .some(nil) }
        guard let letter = prefix.first, letter == "V" || letter == "U", !description.isEmpty else { return nil }
        let version = prefix.dropFirst().replacingOccurrences(of: "_", with: ".")
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            return nil
        }
        return (version, String(description), letter == "V" ? .up : .down)
    }
}

extension Migration.FileName {
    /// `digits_rest` into its parts; nil if either is empty.
    static func split(_ stem: Substring) -> (String, String)? {
        let digits = stem.prefix { $0.isASCII && $0.isNumber }
        let rest = stem.dropFirst(digits.count)
        guard !digits.isEmpty, rest.first == "_", rest.count > 1 else { return nil }
        return (String(digits), String(rest.dropFirst()))
    }
}
