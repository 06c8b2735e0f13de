import Foundation

extension SQLScript {
    /// A single pass over the script's UTF-8 bytes that finds statement boundaries.
    ///
    /// It lexes just enough of PostgreSQL's grammar to know when a `;` ends a statement,
    /// mirroring psql's `psqlscan.l`: every syntax character is ASCII, and bytes >= 0x80
    /// count as identifier letters exactly as in the server's lexer.
    struct Splitter {
        let bytes: [UInt8]
        let fileName: String?
        private let lineStarts: [Int]

        private(set) var statements: [Statement] = []
        private(set) var directives: [String: String] = [:]
        private(set) var directiveLines: [String: Int] = [:]

        private var index = 0
        /// Tracks `SET standard_conforming_strings`, which decides whether `\` escapes in `'…'`.
        private var standardConformingStrings = true

        // State of the statement being read; reset after each one.
        private var start: Int?
        private var leadingWords: [String] = []
        private var previousWord = ""
        /// Read from the leading words once there are enough of them (see ``noteWord(_:)``).
        private var isRoutineDefinition = false
        private var parenDepth = 0
        private var beginDepth = 0
        private var isCopyFromStdin = false

        init(bytes: [UInt8], fileName: String?) {
            self.bytes = bytes
            self.fileName = fileName
            var starts = [0]
            // A plain loop over the buffer: debug builds (what `swift test` runs) make an
            // `enumerated()` iterator cost more than the rest of the split.
            bytes.withUnsafeBufferPointer { buffer in
                for offset in 0..<buffer.count where buffer[offset] == .newline { starts.append(offset + 1) }
            }
            self.lineStarts = starts
        }

        mutating func run() throws {
            while index < bytes.count {
                let byte = bytes[index]
                if start == nil {
                    if byte.isSQLSpace || byte == .semicolon {
                        index += 1  // `;;` is an empty statement: nothing to run
                        continue
                    }
                    if byte == .dash, peek(1) == .dash {
                        let end = endOfLine(from: index)
                        if statements.isEmpty { readDirective(bytes[(index + 2)..<end], line: line(at: index)) }
                        index = end
                        continue
                    }
                    if byte == .slash, peek(1) == .star {
                        try skipBlockComment()
                        continue
                    }
                    if byte == .backslash {
                        try skipMetaCommand()
                        continue
                    }
                    beginStatement()
                }
                try step(byte)
            }
            if let start {
                guard !isCopyFromStdin else {
                    throw error(.unterminatedCopyData, at: start, "COPY … FROM stdin has no ';' and no data")
                }
                statements.append(Statement(text: text(from: start, to: bytes.count), line: line(at: start)))
            }
        }

        /// Advances over one token inside a statement.
        private mutating func step(_ byte: UInt8) throws {
            switch byte {
            case .dash where peek(1) == .dash:
                index = endOfLine(from: index)
            case .slash where peek(1) == .star:
                try skipBlockComment()
            case .quote:
                try skipQuoted(backslashEscapes: !standardConformingStrings)
            case .doubleQuote:
                try skipQuoted(backslashEscapes: false)
            case .dollar:
                try skipDollar()
            case .backslash:
                let name = metaCommandName(at: index)
                throw error(
                    .unsupportedMetaCommand, at: index,
                    "psql meta-command \\\(name) inside a statement is not supported")
            case .openParen:
                parenDepth += 1
                index += 1
            case .closeParen:
                if parenDepth > 0 { parenDepth -= 1 }
                index += 1
            case .semicolon where parenDepth == 0 && beginDepth == 0:
                try endStatement(at: index)
            default:
                if byte.isIdentifierStart {
                    try readWord()
                } else if byte.isDigit {
                    index += 1
                    while index < bytes.count, bytes[index].isIdentifierPart { index += 1 }
                } else {
                    index += 1
                }
            }
        }

        // MARK: Statements

        private mutating func beginStatement() {
            start = index
            leadingWords = []
            previousWord = ""
            isRoutineDefinition = false
            parenDepth = 0
            beginDepth = 0
            isCopyFromStdin = false
        }

        private mutating func endStatement(at semicolon: Int) throws {
            guard let start else { return }
            let statementText = text(from: start, to: semicolon)
            let statementLine = line(at: start)
            index = semicolon + 1
            let copyData = isCopyFromStdin ? try readCopyData(statementStart: start) : nil
            statements.append(Statement(text: statementText, line: statementLine, copyData: copyData))
            trackStandardConformingStrings(statementText)
            self.start = nil
        }

        /// Reads `COPY … FROM stdin` data: the lines after the statement up to a line `\.`.
        private mutating func readCopyData(statementStart: Int) throws -> String {
            var cursor = index
            while cursor < bytes.count, bytes[cursor] == .space || bytes[cursor] == .tab { cursor += 1 }
            if cursor + 1 < bytes.count, bytes[cursor] == .dash, bytes[cursor + 1] == .dash {
                cursor = endOfLine(from: cursor)
            }
            if cursor < bytes.count, bytes[cursor] != .newline {
                throw error(
                    .textAfterCopy, at: cursor,
                    "text after COPY … FROM stdin; on the same line; the data must start on the next line")
            }
            var lineStart = cursor + 1
            while lineStart < bytes.count {
                let lineEnd = endOfLine(from: lineStart)
                if lineEnd - lineStart == 2, bytes[lineStart] == .backslash, bytes[lineStart + 1] == .dot {
                    index = min(lineEnd + 1, bytes.count)
                    return String(decoding: bytes[min(cursor + 1, lineStart)..<lineStart], as: UTF8.self)
                }
                lineStart = lineEnd + 1
            }
            throw error(
                .unterminatedCopyData, at: statementStart,
                "COPY … FROM stdin data is not terminated by a line \\.")
        }

        private mutating func readWord() throws {
            let begin = index
            index += 1
            while index < bytes.count, bytes[index].isIdentifierPart || bytes[index] == .dollar { index += 1 }
            if index - begin == 1, bytes[begin] | 0x20 == UInt8(ascii: "e"), peek(0) == .quote {
                try skipQuoted(backslashEscapes: true)  // E'…' always honours backslash escapes
                return
            }
            noteWord(begin..<index)
        }

        /// Keeps psql's heuristics: `BEGIN … END` nesting in routine bodies, and `COPY … FROM stdin`.
        ///
        /// Past a statement's first four words only a routine's body and a `COPY` need words, so
        /// the others are not turned into strings: most of a file's words are never looked at.
        private mutating func noteWord(_ range: Range<Int>) {
            guard leadingWords.count < 4 || isRoutineDefinition || leadingWords.first == "copy" else { return }
            let word = String(decoding: bytes[range], as: UTF8.self).lowercased()
            if leadingWords.count < 4 {
                leadingWords.append(word)
                isRoutineDefinition = Self.isRoutineDefinition(leadingWords)
            }
            if isRoutineDefinition, parenDepth == 0 {
                switch word {
                case "begin": beginDepth += 1
                case "case" where beginDepth >= 1: beginDepth += 1  // CASE also closes with END
                case "end" where beginDepth > 0: beginDepth -= 1
                default: break
                }
            }
            if leadingWords.first == "copy", previousWord == "from", word == "stdin" { isCopyFromStdin = true }
            previousWord = word
        }

        /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`: where a `BEGIN ATOMIC` body may contain `;`.
        private static func isRoutineDefinition(_ words: [String]) -> Bool {
            func isRoutine(_ word: String) -> Bool { word == "function" || word == "procedure" }
            guard words.first == "create", words.count >= 2 else { return false }
            if isRoutine(words[1]) { return true }
            return words.count >= 4 && words[1] == "or" && words[2] == "replace" && isRoutine(words[3])
        }

        private mutating func trackStandardConformingStrings(_ text: String) {
            guard text.prefix(3).lowercased() == "set" else { return }
            let tokens = text.lowercased().split { " \t\n='\"".contains($0) }
            var rest = tokens[...]
            guard rest.popFirst() == "set" else { return }
            if rest.first == "session" || rest.first == "local" { rest.removeFirst() }
            guard rest.popFirst() == "standard_conforming_strings" else { return }
            if rest.first == "to" { rest.removeFirst() }
            switch rest.first {
            case "off", "false", "0": standardConformingStrings = false
            case "on", "true", "1", "default": standardConformingStrings = true
            default: break
            }
        }

        // MARK: Tokens that may contain `;`

        private mutating func skipBlockComment() throws {
            let open = index
            var depth = 0
            while index < bytes.count {
                if bytes[index] == .slash, peek(1) == .star {
                    depth += 1
                    index += 2
                } else if bytes[index] == .star, peek(1) == .slash {
                    depth -= 1
                    index += 2
                    if depth == 0 { return }
                } else {
                    index += 1
                }
            }
            throw error(.unterminatedComment, at: open, "unterminated /* comment")
        }

        /// Skips `'…'` or `"…"` (whichever quote is at `index`); a doubled quote is an escaped quote.
        private mutating func skipQuoted(backslashEscapes: Bool) throws {
            let open = index
            let quote = bytes[index]
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if backslashEscapes, byte == .backslash {
                    index += 2
                } else if byte == quote {
                    if peek(1) == quote {
                        index += 2
                    } else {
                        index += 1
                        return
                    }
                } else {
                    index += 1
                }
            }
            let what = quote == .quote ? "quoted string" : "quoted identifier"
            throw error(.unterminatedQuote, at: open, "unterminated \(what)")
        }

        /// Skips `$n` (a parameter) or a `$tag$ … $tag$` string; a lone `$` is just a character.
        private mutating func skipDollar() throws {
            let open = index
            if let next = peek(1), next.isDigit {
                index += 1
                while index < bytes.count, bytes[index].isDigit { index += 1 }
                return
            }
            var tagEnd = index + 1
            if tagEnd < bytes.count, bytes[tagEnd].isIdentifierStart {
                tagEnd += 1
                while tagEnd < bytes.count, bytes[tagEnd].isIdentifierPart { tagEnd += 1 }
            }
            guard tagEnd < bytes.count, bytes[tagEnd] == .dollar else {
                index += 1
                return
            }
            let tag = bytes[open...tagEnd]
            var cursor = tagEnd + 1
            while cursor + tag.count <= bytes.count {
                if bytes[cursor] == .dollar, bytes[cursor..<(cursor + tag.count)].elementsEqual(tag) {
                    index = cursor + tag.count
                    return
                }
                cursor += 1
            }
            let tagText = String(decoding: tag, as: UTF8.self)
            throw error(.unterminatedDollarQuote, at: open, "unterminated dollar-quoted string \(tagText)")
        }

        /// psql reads a backslash command to the end of the line; pg_dump's `\restrict` pair is harmless.
        private mutating func skipMetaCommand() throws {
            let name = metaCommandName(at: index)
            guard name == "restrict" || name == "unrestrict" else {
                throw error(
                    .unsupportedMetaCommand, at: index,
                    "psql meta-command \\\(name) is not supported (only \\restrict and \\unrestrict are skipped)")
            }
            index = endOfLine(from: index)
        }

        private func metaCommandName(at backslash: Int) -> String {
            var end = backslash + 1
            while end < bytes.count, !bytes[end].isSQLSpace, bytes[end] != .backslash || end == backslash + 1 {
                end += 1
            }
            return String(decoding: bytes[(backslash + 1)..<end], as: UTF8.self)
        }

        // MARK: Directives

        /// Reads `depends_on: …` or `pgfast:name [value]` / `pgdbm:name [value]` from a leading `--` comment.
        private mutating func readDirective(_ comment: ArraySlice<UInt8>, line: Int) {
            let body = String(decoding: comment, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            let lower = body.lowercased()
            var rest = Substring(body)
            let namespaced = lower.hasPrefix("pgfast:") || lower.hasPrefix("pgdbm:")
            if namespaced {
                rest = rest[rest.index(after: rest.firstIndex(of: ":")!)...]
            } else if !(lower.hasPrefix("depends_on") || lower.hasPrefix("depends-on")) {
                return
            }
            let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
            guard !name.isEmpty else { return }
            rest = rest.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
            if rest.first == ":" || rest.first == "=" {
                rest = rest.dropFirst()
            } else if !namespaced {
                return  // prose such as "-- depends on x" is not a directive
            }
            let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
            let value = rest.trimmingCharacters(in: .whitespaces)
            if let existing = directives[key] {
                directives[key] = [existing, value].filter { !$0.isEmpty }.joined(separator: ", ")
            } else {
                directives[key] = value
                directiveLines[key] = line
            }
        }

        // MARK: Positions

        private func peek(_ offset: Int) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }

        private func endOfLine(from offset: Int) -> Int {
            var end = offset
            while end < bytes.count, bytes[end] != .newline { end += 1 }
            return end
        }

        /// The 1-based line holding byte `offset`.
        private func line(at offset: Int) -> Int {
            var low = 0
            var high = lineStarts.count
            while low < high {
                let mid = (low + high) / 2
                if lineStarts[mid] <= offset { low = mid + 1 } else { high = mid }
            }
            return low
        }

        private func text(from begin: Int, to end: Int) -> String {
            var last = end
            while last > begin, bytes[last - 1].isSQLSpace { last -= 1 }
            return String(decoding: bytes[begin..<last], as: UTF8.self)
        }

        private func error(_ code: SQLScriptError.Code, at offset: Int, _ message: String) -> SQLScriptError {
            SQLScriptError(code: code, file: fileName, line: line(at: offset), message: message)
        }
    }
}

extension UInt8 {
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let tab = UInt8(ascii: "\t")
    fileprivate static let semicolon = UInt8(ascii: ";")
    fileprivate static let dash = UInt8(ascii: "-")
    fileprivate static let slash = UInt8(ascii: "/")
    fileprivate static let star = UInt8(ascii: "*")
    fileprivate static let quote = UInt8(ascii: "'")
    fileprivate static let doubleQuote = UInt8(ascii: "\"")
    fileprivate static let dollar = UInt8(ascii: "$")
    fileprivate static let backslash = UInt8(ascii: "\\")
    fileprivate static let dot = UInt8(ascii: ".")
    fileprivate static let openParen = UInt8(ascii: "(")
    fileprivate static let closeParen = UInt8(ascii: ")")

    /// The server's whitespace: space, tab, LF, CR, FF, VT.
    fileprivate var isSQLSpace: Bool {
        self == 0x20 || (0x09...0x0D).contains(self)
    }

    fileprivate var isDigit: Bool { (0x30...0x39).contains(self) }

    /// `[A-Za-z_\x80-\xff]`: the server treats every non-ASCII byte as a letter.
    fileprivate var isIdentifierStart: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || self == 0x5F || self >= 0x80
    }

    /// Letters, digits and `_`; callers add `$` where the server allows it (identifiers, not tags).
    fileprivate var isIdentifierPart: Bool { isIdentifierStart || isDigit }
}
