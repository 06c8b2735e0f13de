import Foundation

extension Migration {
    /// The checksum recorded when a migration is applied, to notice files edited afterwards.
    ///
    /// The bytes hashed (SHA-256, written as 64 lowercase hex digits):
    ///
    /// - `N(up)` when there is no down file,
    /// - `N(up) + [0x00] + N(down)` when there is one,
    ///
    /// where `N` drops a leading UTF-8 byte order mark (`EF BB BF`) and turns CRLF and lone
    /// CR into LF. Normalizing means a checkout with other line-ending settings is not
    /// "modified"; the NUL separator cannot occur in SQL PostgreSQL accepts, so the split
    /// is unambiguous, and an up-only checksum equals `sha256sum` of the LF file.
    ///
    /// ```swift
    /// Migration.checksum(up: Data("SELECT 1;\r\n".utf8), down: nil)
    ///     == Migration.checksum(up: Data("SELECT 1;\n".utf8), down: nil)  // true
    /// ```
    public static func checksum(up: Data, down: Data?) -> String {
        var hasher = SHA256()
        hasher.update(SQLScript.normalizedBytes(Array(up)))
        if let down {
            hasher.update([0])
            hasher.update(SQLScript.normalizedBytes(Array(down)))
        }
        return hasher.hexDigest()
    }

    /// The checksum Python's pgdbm records for a file, to recognize databases it migrated.
    ///
    /// pgdbm hashes the UTF-8 text with CRLF turned into LF and surrounding whitespace
    /// stripped (a byte order mark is kept).
    public static func pgdbmChecksum(_ contents: Data) -> String {
        let text = String(decoding: contents, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        let stripped = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return SHA256.hexDigest(of: stripped.utf8)
    }
}
