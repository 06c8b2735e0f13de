import Foundation

/// A SQL file split into statements the way psql would run it.
///
/// Running a file statement by statement lets an error name the exact line, and lets
/// `COPY … FROM stdin` data (as `pg_dump` writes it) be streamed separately. The splitter
/// understands quoting (`'…'`, `E'…'`, `"…"`, `$tag$…$tag$`), nested comments,
/// `BEGIN ATOMIC … END` function bodies and `COPY` data blocks. psql's `\restrict` and
/// `\unrestrict` lines are skipped; any other meta-command is an error.
///
/// ```swift
/// let script = try SQLScript(
///     """
///     -- depends_on: 20250101000000
///     CREATE TABLE users (id int);
///     DO $$ BEGIN RAISE NOTICE 'hi;'; END $$;
///     """, fileName: "20250102000000_users_up.sql")
/// script.statements.map(\.line)     // [2, 3]
/// script.directives["depends_on"]   // "20250101000000"
/// ```
public struct SQLScript: Sendable, Hashable {
    /// The file name given to `init`, repeated in errors.
    public var fileName: String?
    /// The statements in file order; empty statements and comment-only text are dropped.
    public var statements: [Statement]
    /// Directives from the comment lines before the first statement, keyed by normalized name.
    ///
    /// `-- depends_on: a, b` gives `["depends_on": "a, b"]`; `-- pgfast:no-transaction`
    /// (or `-- pgdbm:no-transaction`) gives `["no_transaction": ""]`. Names are lowercased
    /// with `-` turned into `_`; a repeated name joins its values with `", "`.
    public var directives: [String: String]
    /// The line of each directive's first occurrence, so callers can report a bad value precisely.
    var directiveLines: [String: Int]

    /// Splits `text` into statements.
    ///
    /// A leading UTF-8 byte order mark is dropped and CRLF/CR line ends become LF first,
    /// so line numbers match what an editor shows on any platform.
    ///
    /// - Throws: ``SQLScriptError`` naming `fileName` and the line of the problem; a NUL
    ///   byte anywhere is ``SQLScriptError/Code/nulByte`` (it could not be sent whole).
    public init(_ text: String, fileName: String? = nil) throws {
        let bytes = SQLScript.normalizedBytes(Array(text.utf8))
        if let nul = bytes.firstIndex(of: 0) {
            let line = bytes[..<nul].count(where: { $0 == UInt8(ascii: "\n") }) + 1
            throw SQLScriptError(
                code: .nulByte, file: fileName, line: line,
                message: "NUL byte in the text: libpq would send only what precedes it, so nothing was run")
        }
        var splitter = Splitter(bytes: bytes, fileName: fileName)
        try splitter.run()
        self.fileName = fileName
        self.statements = splitter.statements
        self.directives = splitter.directives
        self.directiveLines = splitter.directiveLines
    }

    /// Reads and splits a UTF-8 SQL file; errors name the file by its path.
    ///
    /// ```swift
    /// let script = try SQLScript(contentsOf: URL(filePath: "db/seed.sql"))
    /// ```
    public init(contentsOf url: URL) throws {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SQLScriptError(code: .unreadableFile, file: path, message: "cannot read file: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SQLScriptError(code: .invalidEncoding, file: path, message: "file is not valid UTF-8")
        }
        try self.init(text, fileName: path)
    }
}
