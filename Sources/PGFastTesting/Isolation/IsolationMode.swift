/// How a test is isolated.
///
/// ```swift
/// @Test(.isolatedDatabase(.transaction)) func readsOnly() async throws { … }
/// ```
public struct IsolationMode: Sendable, Hashable, CustomStringConvertible {
    enum Base: String, Sendable {
        case clone, transaction
    }
    let base: Base

    /// The test gets its own database, cloned from the template. Complete isolation.
    public static let clone = IsolationMode(base: .clone)

    /// The test runs inside a transaction on a clone shared by such tests, rolled
    /// back at its end: the fastest mode, for tests that never commit.
    ///
    /// It cannot isolate what escapes a transaction: a `COMMIT` the code under
    /// test issues itself, work on a second connection (it does not see the
    /// test's uncommitted rows, and its own commits stay), sequences (`nextval`
    /// is never rolled back), `CREATE DATABASE`/`VACUUM`/`CREATE INDEX
    /// CONCURRENTLY` (not allowed in a transaction), and row locks: two such
    /// tests writing the same unique key wait for each other.
    public static let transaction = IsolationMode(base: .transaction)

    public var description: String { base.rawValue }
}
