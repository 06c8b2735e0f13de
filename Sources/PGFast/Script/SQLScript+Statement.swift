extension SQLScript {
    /// One statement of a script, with where it came from.
    public struct Statement: Sendable, Hashable {
        /// The statement text without the terminating `;` and surrounding whitespace.
        /// Comments inside the statement are kept, so server error positions stay valid.
        public var text: String
        /// The 1-based line of the statement's first character (comments before it skipped).
        public var line: Int
        /// For `COPY … FROM stdin`: the data lines that followed, each ending in `\n`,
        /// without the `\.` terminator, verbatim and ready to send with `PQputCopyData`.
        public var copyData: String?

        public init(text: String, line: Int, copyData: String? = nil) {
            self.text = text
            self.line = line
            self.copyData = copyData
        }

        /// Maps a PostgreSQL error position to the line in the file.
        ///
        /// The server reports `position` as a 1-based count of characters (code points,
        /// not bytes) into the statement text it was sent; out-of-range values are clamped.
        ///
        /// ```swift
        /// let statement = script.statements[0]               // starts on line 10
        /// statement.line(forPosition: error.position ?? 1)    // e.g. 12
        /// ```
        public func line(forPosition position: Int) -> Int {
            var newlines = 0
            var index = 1
            for scalar in text.unicodeScalars {
                if index >= position { break }
                if scalar == "\n" { newlines += 1 }
                index += 1
            }
            return line + newlines
        }
    }
}

extension SQLScript {
    /// The script followed by `RESET ALL`, so that what a file sets (`pg_dump` output empties
    /// `search_path`) ends with it; inside a transaction it goes out with the last statements.
    func resettingSettings() -> SQLScript {
        var script = self
        script.statements.append(Statement(text: "RESET ALL", line: statements.last?.line ?? 1))
        return script
    }
}
