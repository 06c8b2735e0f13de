import Synchronization

/// Counters shared by a pool and its connections, updated without locks.
final class PoolStatistics: Sendable {
    let queries = Atomic<Int>(0)
    let slowQueries = Atomic<Int>(0)

    func recordQuery() { queries.add(1, ordering: .relaxed) }
    func recordSlowQuery() { slowQueries.add(1, ordering: .relaxed) }
}

/// A snapshot of a pool's state and counters.
///
/// ```swift
/// let metrics = await pool.metrics
/// print(metrics.inUse, metrics.waiting, metrics.acquireTimeouts)
/// ```
public struct PoolMetrics: Sendable, Hashable, CustomStringConvertible {
    /// Connections open now (idle and in use).
    public var open: Int
    /// Open connections waiting in the pool.
    public var idle: Int
    /// Connections lent out now.
    public var inUse: Int
    /// Tasks waiting for a connection now.
    public var waiting: Int
    /// Connections being opened now.
    public var connecting: Int
    /// Connections lent out since the pool started.
    public var acquired: Int
    /// Acquires that gave up after `acquireTimeout`.
    public var acquireTimeouts: Int
    /// Connections opened since the pool started.
    public var connectionsOpened: Int
    /// Connections closed since the pool started (broken, expired, idle or at close).
    public var connectionsClosed: Int
    /// Connections found broken and replaced.
    public var connectionsReplaced: Int
    /// Failed attempts to open a connection.
    public var connectFailures: Int
    /// Statements sent through the pool's connections: a pipeline, or a script sent whole, counts once.
    public var queries: Int
    /// Statements slower than `slowQueryThreshold`.
    public var slowQueries: Int
    /// The pool's size limits.
    public var minConnections: Int
    public var maxConnections: Int

    public var description: String {
        "PoolMetrics(open: \(open), idle: \(idle), inUse: \(inUse), waiting: \(waiting), "
            + "acquired: \(acquired), acquireTimeouts: \(acquireTimeouts), queries: \(queries), "
            + "slowQueries: \(slowQueries))"
    }
}
