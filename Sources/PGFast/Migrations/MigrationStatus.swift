import Foundation

/// Where one migration stands in a database.
///
/// ```swift
/// for entry in try await migrator.status() {
///     print(entry.version, entry.name, entry.state, entry.appliedAt ?? "-")
/// }
/// ```
public struct MigrationStatus: Sendable, Hashable {
    /// Applied, pending, applied but its file changed since, or applied with no file any more.
    public struct State: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case applied, pending, modified
            case missingFile = "missing file"
        }
        let base: Base
        public var description: String { base.rawValue }

        public static let applied = State(base: .applied)
        public static let pending = State(base: .pending)
        /// Applied, but the file's checksum is not the one recorded.
        public static let modified = State(base: .modified)
        /// Recorded as applied, but no file has its version.
        public static let missingFile = State(base: .missingFile)
    }

    public var version: String
    public var name: String
    public var state: State
    public var appliedAt: Date?
    /// How long applying it took.
    public var duration: Duration?
    /// The file, when there is one.
    public var migration: Migration?
}

/// A recorded migration: a row of the history table.
struct AppliedMigration: Sendable, Hashable {
    var version: String
    var name: String
    var checksum: String
    var appliedAt: Date
    var durationMilliseconds: Double
}
