/// A SQL file that cannot be split into statements, with the file and line to fix.
///
/// Splitting happens before anything is sent, so a broken file fails as a whole
/// instead of half-applied.
///
/// ```swift
/// do {
///     _ = try SQLScript("SELECT 'oops;", fileName: "001_init_up.sql")
/// } catch let error as SQLScriptError where error.code == .unterminatedQuote {
///     print(error)  // 001_init_up.sql:1: unterminated quoted string
/// }
/// ```
public struct SQLScriptError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; new codes can be added without breaking callers that do not `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case unterminatedQuote, unterminatedDollarQuote, unterminatedComment, unterminatedCopyData
            case unsupportedMetaCommand, textAfterCopy, unreadableFile, invalidEncoding, nulByte
        }
        let base: Base
        public var description: String { base.rawValue }

        /// A `'…'` string, `E'…'` string or `"…"` identifier is not closed.
        public static let unterminatedQuote = Code(base: .unterminatedQuote)
        /// A `$$` or `$tag$` body is not closed by the same tag.
        public static let unterminatedDollarQuote = Code(base: .unterminatedDollarQuote)
        /// A `/* … */` comment (they nest) is not closed.
        public static let unterminatedComment = Code(base: .unterminatedComment)
        /// `COPY … FROM stdin` data has no `\.` line.
        public static let unterminatedCopyData = Code(base: .unterminatedCopyData)
        /// A psql meta-command (`\connect`, `\i`, `\set`, …): only psql can run those.
        public static let unsupportedMetaCommand = Code(base: .unsupportedMetaCommand)
        /// SQL after `COPY … FROM stdin;` on the same line, where psql expects the data to begin.
        public static let textAfterCopy = Code(base: .textAfterCopy)
        /// The file could not be read.
        public static let unreadableFile = Code(base: .unreadableFile)
        /// The file is not UTF-8.
        public static let invalidEncoding = Code(base: .invalidEncoding)
        /// The text holds a NUL byte: libpq would send only what precedes it.
        public static let nulByte = Code(base: .nulByte)
    }

    public var code: Code
    /// The script's file name, when it came from a file.
    public var file: String?
    /// The 1-based line where the problem starts (where the quote or comment opened).
    public var line: Int?
    public var message: String

    public init(code: Code, file: String? = nil, line: Int? = nil, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the shape editors and CI logs turn into links.
    public var description: String {
        var location = file ?? "<script>"
        if let line { location += ":\(line)" }
        return "\(location): \(message)"
    }
}
