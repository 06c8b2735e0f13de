import PGFast

/// A cloned database with its pool already connected: what a test receives.
struct ReadyClone: Sendable {
    let name: String
    let pool: ConnectionPool
    /// About how much disk it holds (its template's size): what dropping it frees.
    var bytes: Int64 = 0
    /// When the clone was asked for and when it was handed over, for the wait metrics.
    var requestedAt: ContinuousClock.Instant?
}

/// How `CREATE DATABASE … TEMPLATE` copies: `FILE_COPY` copies the directory
/// (fast for small templates, costs a checkpoint), `WAL_LOG` copies block by
/// block through the WAL (PostgreSQL 15's default). PGFast measures both on the
/// first clones of a template and keeps the faster.
public struct CloneStrategy: Sendable, Hashable, CustomStringConvertible {
    enum Base: String, Sendable {
        case fileCopy = "FILE_COPY"
        case walLog = "WAL_LOG"
    }
    let base: Base

    public static let fileCopy = CloneStrategy(base: .fileCopy)
    public static let walLog = CloneStrategy(base: .walLog)

    public var description: String { base.rawValue }

    /// From `PGFAST_CLONE_STRATEGY` (`file_copy`, `wal_log`); nil means "measure".
    static func parse(_ text: String?) throws -> CloneStrategy? {
        guard let text, !text.isEmpty, text.lowercased() != "auto" else { return nil }
        switch text.lowercased() {
        case "file_copy", "file-copy", "filecopy": return .fileCopy
        case "wal_log", "wal-log", "wallog": return .walLog
        default:
            throw IsolatedDatabaseError(
                code: .invalidConfiguration,
                message: "PGFAST_CLONE_STRATEGY=\(text) is not one of file_copy, wal_log, auto")
        }
    }
}
