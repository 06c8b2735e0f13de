/// libpq sends SQL text as a C string, so a NUL byte would end it there and the rest
/// would silently not run (`SELECT 1;\0 DROP TABLE t;` runs `SELECT 1;`). PostgreSQL
/// text cannot hold a NUL either: text with one is an error before anything is sent.
enum NULByte {
    /// The 1-based line and column of the first NUL byte in `text`, if any.
    static func position(in text: some StringProtocol) -> (line: Int, column: Int)? {
        guard text.utf8.contains(0) else { return nil }
        var line = 1
        var column = 1
        for byte in text.utf8 {
            if byte == 0 { return (line, column) }
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return nil
    }

    /// `text` with each NUL shown as `\0`, for an error's ``PostgresError/query``.
    static func visible(_ text: String) -> String {
        text.replacingAll("\u{0}", with: "\\0")
    }

    /// Throws ``PostgresError/Code/encoding`` when `text` holds a NUL byte.
    static func check(_ text: String, file: String, line: Int) throws {
        guard let (nulLine, column) = position(in: text) else { return }
        var error = PostgresError(
            code: .encoding,
            message: "the SQL text holds a NUL byte (line \(nulLine), column \(column)): libpq would send "
                + "only the text before it, so nothing was sent")
        error.query = visible(text)
        error.file = file
        error.line = line
        throw error
    }
}
