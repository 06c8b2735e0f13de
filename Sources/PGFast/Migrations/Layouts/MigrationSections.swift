import Foundation

/// Turns one file of another tool's layout into the script PGFast runs for one direction.
///
/// dbmate and goose keep the up and down SQL in one file, in sections. A section is
/// returned as the whole file with every line outside it blanked, so statement lines in
/// errors are the lines an editor shows.
enum MigrationSections {
    /// A direction's SQL and how it asks to be run.
    struct Section {
        var text: String
        /// nil: the layout's default (a transaction); false: the file opted out.
        var runsInTransaction: Bool?
        /// goose `StatementBegin` … `StatementEnd` blocks, as 1-based line ranges of their SQL.
        var blocks: [ClosedRange<Int>] = []
    }

    /// The marker a comment line holds (`migrate:up transaction:false`, `+goose up`), lowercased; nil for other lines.
    static func marker(in line: Substring) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("--") else { return nil }
        let rest = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
        let lower = rest.lowercased()
        return lower.hasPrefix("migrate:") || lower.hasPrefix("+goose") ? lower : nil
    }

    /// The script and transaction choice of `kind` in a file of `style`; nil when the file has
    /// no such section (a dbmate or goose file without a down part).
    static func script(
        style: MigrationSet.Style, kind: Migration.FileName.Kind, text: String, file: URL
    ) throws -> (script: SQLScript, runsInTransaction: Bool?)? {
        let section: Section?
        switch style.base {
        case .dbmate: section = try dbmate(text, kind: kind, file: file.path)
        case .goose: section = try goose(text, kind: kind, file: file.path)
        case .sqlx: section = Section(text: text, runsInTransaction: text.hasPrefix("-- no-transaction") ? false : nil)
        default: section = Section(text: text)
        }
        guard let section else { return nil }
        var script: SQLScript
        do {
            script = try SQLScript(section.text, fileName: file.path)
        } catch let error as SQLScriptError {
            throw MigrationError(error)
        }
        if !section.blocks.isEmpty { script.statements = merge(script.statements, blocks: section.blocks, of: text) }
        if style == .golangMigrate { script.statements.removeAll(where: isTransactionControl) }
        return (script, section.runsInTransaction)
    }

    /// What a migration's configuration file says about transactions: diesel's `metadata.toml`
    /// (`run_in_transaction = false`), Flyway's `V….sql.conf` (`executeInTransaction=false`).
    static func configuredTransaction(style: MigrationSet.Style, upFile: URL) -> Bool? {
        let (url, key) =
            switch style.base {
            case .diesel: (upFile.deletingLastPathComponent().appending(path: "metadata.toml"), "run_in_transaction")
            case .flyway: (URL(filePath: upFile.path + ".conf"), "executeInTransaction")
            default: (upFile, "")
            }
        guard !key.isEmpty, let data = FileManager.default.contents(atPath: url.path) else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0] == key else { continue }
            return parts[1].lowercased() != "false"
        }
        return nil
    }

    // MARK: dbmate

    /// `-- migrate:up [transaction:false]` to `-- migrate:down`, then the down section to the end.
    private static func dbmate(_ text: String, kind: Migration.FileName.Kind, file: String) throws -> Section? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var markers: [(line: Int, direction: String, options: [Substring])] = []
        for (index, line) in lines.enumerated() {
            guard let marker = marker(in: line), marker.hasPrefix("migrate:") else { continue }
            let words = marker.dropFirst("migrate:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let direction = words.first, direction == "up" || direction == "down" else {
                throw MigrationError(
                    code: .invalidScript, file: file, line: index + 1,
                    message: "unknown dbmate marker \"-- \(marker)\"",
                    hint: "dbmate knows -- migrate:up and -- migrate:down")
            }
            if markers.contains(where: { $0.direction == direction }) {
                throw MigrationError(
                    code: .invalidScript, file: file, line: index + 1,
                    message: "a second -- migrate:\(direction) section",
                    hint: "a dbmate file has one up and one down section")
            }
            markers.append((index + 1, String(direction), Array(words.dropFirst())))
        }
        guard let up = markers.first(where: { $0.direction == "up" }) else {
            throw MigrationError(
                code: .invalidScript, file: file,
                message: "dbmate migration has no -- migrate:up line",
                hint: "start the file's up SQL with a line -- migrate:up")
        }
        if let down = markers.first(where: { $0.direction == "down" }), down.line < up.line {
            throw MigrationError(
                code: .invalidScript, file: file, line: down.line,
                message: "-- migrate:down comes before -- migrate:up",
                hint: "put the up section first, as dbmate expects")
        }
        guard let marker = markers.first(where: { $0.direction == (kind == .up ? "up" : "down") }) else { return nil }
        let end = markers.first(where: { $0.line > marker.line })?.line ?? lines.count + 1
        var runsInTransaction: Bool?
        for option in marker.options {
            let parts = option.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == "transaction", parts[1] == "true" || parts[1] == "false" else {
                throw MigrationError(
                    code: .invalidDirective, file: file, line: marker.line,
                    message: "unknown dbmate option \"\(option)\"", hint: "dbmate knows transaction:false")
            }
            runsInTransaction = parts[1] == "true"
        }
        return Section(text: keep(lines, from: marker.line + 1, to: end), runsInTransaction: runsInTransaction)
    }

    // MARK: goose

    /// `-- +goose Up` to `-- +goose Down` and on, `StatementBegin`/`End` blocks, `NO TRANSACTION`.
    private static func goose(_ text: String, kind: Migration.FileName.Kind, file: String) throws -> Section? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var up: Int?
        var down: Int?
        var noTransaction = false
        var blocks: [(direction: String, range: ClosedRange<Int>)] = []
        var blockStart: Int?
        for (index, line) in lines.enumerated() {
            guard let marker = marker(in: line), marker.hasPrefix("+goose") else { continue }
            let number = index + 1
            let annotation = marker.dropFirst("+goose".count).trimmingCharacters(in: .whitespaces)
            switch annotation {
            case "up":
                guard up == nil else { throw gooseError(file, number, "a second -- +goose Up annotation") }
                up = number
            case "down":
                guard down == nil else { throw gooseError(file, number, "a second -- +goose Down annotation") }
                guard up != nil else { throw gooseError(file, number, "-- +goose Down comes before -- +goose Up") }
                down = number
            case "statementbegin":
                guard blockStart == nil else {
                    throw gooseError(file, number, "-- +goose StatementBegin inside another StatementBegin block")
                }
                blockStart = number
            case "statementend":
                guard let start = blockStart else {
                    throw gooseError(file, number, "-- +goose StatementEnd without a StatementBegin")
                }
                blocks.append((down == nil ? "up" : "down", (start + 1)...max(start + 1, number - 1)))
                blockStart = nil
            case "no transaction":
                noTransaction = true
            default:
                throw gooseError(
                    file, number, "unsupported goose annotation \"-- \(marker)\"",
                    hint: "PGFast reads Up, Down, StatementBegin, StatementEnd and NO TRANSACTION "
                        + "(ENVSUB substitution is not supported)")
            }
        }
        if let blockStart { throw gooseError(file, blockStart, "-- +goose StatementBegin without a StatementEnd") }
        guard let up else {
            throw MigrationError(
                code: .invalidScript, file: file, message: "goose migration has no -- +goose Up annotation",
                hint: "start the file's up SQL with a line -- +goose Up")
        }
        let range: (from: Int, to: Int)
        switch kind {
        case .up: range = (up + 1, down ?? lines.count + 1)
        case .down:
            guard let down else { return nil }
            range = (down + 1, lines.count + 1)
        }
        let direction = kind == .up ? "up" : "down"
        return Section(
            text: keep(lines, from: range.from, to: range.to, blankingMarkers: true),
            runsInTransaction: noTransaction ? false : nil,
            blocks: blocks.filter { $0.direction == direction }.map(\.range))
    }

    private static func gooseError(_ file: String, _ line: Int, _ message: String, hint: String? = nil)
        -> MigrationError
    {
        MigrationError(code: .invalidScript, file: file, line: line, message: message, hint: hint)
    }

    // MARK: Helpers

    /// The lines `from..<to` (1-based) kept, every other line (and, if asked, marker lines) blanked.
    private static func keep(_ lines: [Substring], from: Int, to: Int, blankingMarkers: Bool = false) -> String {
        lines.enumerated().map { index, line in
            let number = index + 1
            guard number >= from, number < to else { return "" }
            if blankingMarkers, marker(in: line) != nil { return "" }
            return String(line)
        }.joined(separator: "\n")
    }

    /// Replaces the statements split inside a goose block by the block's text, sent as one statement.
    private static func merge(
        _ statements: [SQLScript.Statement], blocks: [ClosedRange<Int>], of text: String
    ) -> [SQLScript.Statement] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var result: [SQLScript.Statement] = []
        var emitted: Set<Int> = []
        for statement in statements {
            guard let block = blocks.firstIndex(where: { $0.contains(statement.line) }) else {
                result.append(statement)
                continue
            }
            guard emitted.insert(block).inserted else { continue }
            let range = blocks[block]
            let body = lines[(range.lowerBound - 1)..<min(range.upperBound, lines.count)].joined(separator: "\n")
            var trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasSuffix(";") { trimmed.removeLast() }
            result.append(SQLScript.Statement(text: trimmed, line: statement.line))
        }
        return result
    }

    /// `BEGIN;`, `START TRANSACTION;`, `COMMIT;`, `END;`: golang-migrate files wrap themselves in these.
    private static func isTransactionControl(_ statement: SQLScript.Statement) -> Bool {
        let words = statement.text.uppercased().split(whereSeparator: { $0.isWhitespace })
        guard let first = words.first else { return false }
        let noise: Set<Substring> = ["TRANSACTION", "WORK"]
        switch first {
        case "BEGIN", "COMMIT", "END": return words.dropFirst().allSatisfy(noise.contains)
        case "START": return words.count == 2 && words[1] == "TRANSACTION"
        default: return false
        }
    }
}
