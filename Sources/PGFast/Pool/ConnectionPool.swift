import Logging
import Synchronization

/// A pool of libpq connections: bounded, fair to waiters, self-healing.
///
/// Connections are lent out newest-idle first and checked before each loan
/// without a round trip (a server restart or a dropped session shows on the
/// socket), so a broken connection is replaced instead of failing a query.
/// One pool usually serves a whole app; schema-scoped ``Database`` handles share it.
///
/// ```swift
/// var config = try DatabaseConfig(url: "postgresql://app@localhost/app")
/// config.maxConnections = 20
/// let pool = try await ConnectionPool(config)
/// let users = Database(pool: pool, schema: "users")
/// // …
/// await pool.close()
/// ```
public final class ConnectionPool: Sendable {
    public let config: DatabaseConfig
    let logger: Logger
    let statistics = PoolStatistics()
    /// The decisions; everything below runs the I/O they ask for.
    typealias Machine = PoolStateMachine<Connection, Waiter>
    /// A task in line; resumed with nil to ask again.
    typealias Waiter = CheckedContinuation<PoolGrant<Connection>?, any Error>
    let limits: Machine.Configuration
    let state: Mutex<State>

    struct State {
        var machine: Machine
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var nextWaiterID = 0
        var timer: Task<Void, Never>?
        var maintenance: Task<Void, Never>?
        var readySchemas: Set<String> = []

        /// The tasks in `close()`, once the machine says it completed.
        mutating func closeWaiters(ifCompleted completed: Bool) -> [CheckedContinuation<Void, Never>] {
            guard completed else { return [] }
            defer { closeWaiters = [] }
            return closeWaiters
        }
    }

    /// Opens `minConnections` connections (failing fast on a bad URL or a down
    /// server) and starts the idle/lifetime maintenance.
    ///
    /// ```swift
    /// let pool = try await ConnectionPool(try DatabaseConfig.fromEnvironment())
    /// ```
    public init(_ config: DatabaseConfig, logger: Logger = Logger(label: "pgfast.pool")) async throws {
        guard config.maxConnections >= 1 else {
            throw PostgresError(
                code: .invalidConfiguration,
                message: "maxConnections must be at least 1, not \(config.maxConnections)")
        }
        guard config.minConnections >= 0, config.minConnections <= config.maxConnections else {
            throw PostgresError(
                code: .invalidConfiguration,
                message: "minConnections (\(config.minConnections)) must be between 0 and "
                    + "maxConnections (\(config.maxConnections))")
        }
        self.config = config
        self.logger = logger
        limits = Machine.Configuration(
            minConnections: config.minConnections, maxConnections: config.maxConnections,
            acquireTimeout: config.acquireTimeout, idleTimeout: config.idleTimeout, maxLifetime: config.maxLifetime)
        state = Mutex(State(machine: Machine(configuration: limits)))
        if let error = await maintain(failFast: true) {
            await close()
            throw error
        }
        startMaintenance()
    }

    // MARK: - Lending connections

    /// Lends a connection to `body` and takes it back afterwards, rolling back
    /// anything `body` left open. Inside `body` the task prefers the
    /// connection's thread, so a loop of statements runs without thread hops.
    ///
    /// ```swift
    /// let count = try await pool.withConnection { connection in
    ///     try await connection.value("SELECT count(*) FROM users", as: Int.self)
    /// }
    /// ```
    @discardableResult
    public func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        let connection = try await acquire()
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(
                try await withTaskExecutorPreference(connection.thread, isolation: isolation) {
                    try await body(connection)
                })
        } catch {
            result = .failure(error)
        }
        await reset(connection)
        release(connection)
        return try result.get()
    }

    /// A statement left a transaction open: roll it back so the next borrower starts clean.
    private func reset(_ connection: Connection) async {
        guard !connection.isIdle else { return }
        await connection.rollback()
    }

    /// Takes a connection, waiting up to `acquireTimeout` for one to be free.
    /// Pair with ``release(_:)``; ``withConnection(isolation:_:)`` does both.
    public func acquire() async throws -> Connection {
        var step = state.withLock { $0.machine.acquire() }
        while true {
            switch step {
            case .fail(let failure):
                throw error(for: failure)
            case .lend(let connection):
                if connection.isReusable() && !limits.isExpired(connection, now: .now) {
                    connection.markLent()
                    return connection
                }
                discard(connection, replaced: true)
                step = state.withLock { $0.machine.acquire() }
            case .open:
                return try await openForAcquirer()
            case .wait:
                switch try await waitInLine() {
                case .none: step = state.withLock { $0.machine.acquire() }
                case .connection(let connection):
                    connection.markLent()
                    return connection
                case .openSlot: return try await openForAcquirer()
                }
            }
        }
    }

    /// Opens a connection in a slot the machine counted as connecting for this task.
    private func openForAcquirer() async throws -> Connection {
        let connection: Connection
        do {
            connection = try await Connection.connect(config, logger: logger, statistics: statistics)
        } catch {
            perform(state.withLock { $0.machine.openFailed() })
            throw error
        }
        switch state.withLock({ $0.machine.connectionOpened(connection, now: .now) }) {
        case .lend(let connection):
            connection.markLent()
            return connection
        case .close(let connection):
            // close() was called meanwhile: this session must not outlive it.
            retire(connection)
            throw PostgresError.poolClosed()
        }
    }

    /// Waits in line for a grant; nil means "ask again" (something freed meanwhile).
    private func waitInLine() async throws -> Machine.Grant? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let outcome = state.withLock { state -> Swift.Result<Machine.Grant?, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    let now = ContinuousClock.now
                    switch state.machine.enqueue(id: id, request: continuation, now: now) {
                    case .enqueued(let startTimer):
                        if startTimer {
                            state.timer = startWaiterTimer(firstDeadline: now.advanced(by: limits.acquireTimeout))
                        }
                        return nil
                    case .retry: return .success(nil)
                    case .fail: return .failure(PostgresError.poolClosed())
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let request = state.withLock { $0.machine.cancel(id: id) }
            request?.resume(throwing: CancellationError())
        }
    }

    /// Gives a connection back: to the longest waiter, else to the idle list.
    /// A broken, expired or mid-transaction connection is closed instead (its
    /// slot goes to the longest waiter); after ``close()`` every connection is.
    public func release(_ connection: Connection) {
        // No look at the socket here (acquire does that): a session the server
        // ended while it was lent out shows in libpq's status already.
        let reusable = connection.isReusableWithoutIO()
        connection.markReturned()
        let now = ContinuousClock.now
        perform(state.withLock { $0.machine.release(connection, reusable: reusable, now: now) })
    }

    /// Drops a lent connection that turned out unusable.
    func discard(_ connection: Connection, replaced: Bool) {
        perform(state.withLock { $0.machine.discard(connection, replaced: replaced, now: .now) })
    }

    /// Runs what a transition asked for. Never called under the lock.
    func perform(_ actions: Machine.Actions) {
        if let connection = actions.close { retire(connection) }
        if let (request, grant) = actions.wake { request.resume(returning: grant) }
        if actions.closeCompleted { finishClose() }
    }

    /// Closes a connection the machine retired, then reports it closed.
    func retire(_ connection: Connection) {
        Task {
            await connection.close()
            let waiters = state.withLock { $0.closeWaiters(ifCompleted: $0.machine.connectionClosed()) }
            for waiter in waiters { waiter.resume() }
        }
    }

    private func finishClose() {
        let waiters = state.withLock { $0.closeWaiters(ifCompleted: true) }
        for waiter in waiters { waiter.resume() }
    }

    func error(for failure: Machine.Failure) -> PostgresError {
        switch failure {
        case .closed: return .poolClosed()
        case .timedOut:
            let (inUse, waiting) = state.withLock { ($0.machine.inUse, $0.machine.waiters.count) }
            return PostgresError(
                code: .acquireTimeout,
                message: "no connection became free within \(config.acquireTimeout.readable) "
                    + "(pool size \(config.maxConnections): \(inUse) in use, \(waiting + 1) waiting)")
        }
    }

    // MARK: - State

    /// The pool's counters and sizes now.
    public var metrics: PoolMetrics {
        get async {
            let (machine, counters) = state.withLock {
                (
                    (
                        open: $0.machine.open, idle: $0.machine.idle.count, inUse: $0.machine.inUse,
                        waiting: $0.machine.waiters.count, connecting: $0.machine.connecting
                    ),
                    $0.machine.counters
                )
            }
            return PoolMetrics(
                open: machine.open, idle: machine.idle, inUse: machine.inUse, waiting: machine.waiting,
                connecting: machine.connecting, acquired: counters.acquired,
                acquireTimeouts: counters.acquireTimeouts, connectionsOpened: counters.connectionsOpened,
                connectionsClosed: counters.connectionsClosed, connectionsReplaced: counters.connectionsReplaced,
                connectFailures: counters.connectFailures,
                queries: statistics.queries.load(ordering: .relaxed),
                slowQueries: statistics.slowQueries.load(ordering: .relaxed),
                minConnections: config.minConnections, maxConnections: config.maxConnections)
        }
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { state.withLock { !$0.machine.isRunning } }

    /// Stops lending, fails waiters, waits for the connections in use and those
    /// being opened to come back, then closes every connection. Always returns
    /// once they are back, whatever state they come back in; calling it again
    /// waits for the same end.
    ///
    /// ```swift
    /// await pool.close()
    /// ```
    public func close() async {
        let (action, tasks) = state.withLock { state in
            let action = state.machine.close()
            let tasks = [state.timer, state.maintenance]
            if action.stopTimer { state.timer = nil }
            state.maintenance = nil
            return (action, tasks)
        }
        // Cancelled outside the lock: a cancellation handler may run right here.
        for task in tasks { task?.cancel() }
        for waiter in action.failWaiters { waiter.resume(throwing: PostgresError.poolClosed()) }
        for connection in action.closeConnections { retire(connection) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.machine.lifecycle == .closed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: - Schemas created through this pool

    func isSchemaReady(_ schema: String) -> Bool { state.withLock { $0.readySchemas.contains(schema) } }
    func markSchemaReady(_ schema: String) { _ = state.withLock { $0.readySchemas.insert(schema) } }
}

extension PostgresError {
    static func poolClosed() -> PostgresError {
        PostgresError(code: .poolClosed, message: "the connection pool is closed")
    }
}
