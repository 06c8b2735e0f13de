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
    private let state = Mutex(State())
    private let maintenance = Mutex<Task<Void, Never>?>(nil)

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
        if config.minConnections > 0 {
            state.withLock { $0.connecting = config.minConnections }
            do {
                try await withThrowingTaskGroup(of: Connection.self) { group in
                    for _ in 0..<config.minConnections {
                        group.addTask { try await self.openConnection() }
                    }
                    for try await connection in group {
                        state.withLock {
                            $0.connecting -= 1
                            $0.open += 1
                            $0.idle.append(Idle(connection: connection, since: .now))
                        }
                    }
                }
            } catch {
                let opened = state.withLock { state in
                    state.closed = true
                    return state.idle
                }
                for idle in opened { await idle.connection.close() }
                throw error
            }
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
        while true {
            switch state.withLock({ $0.nextStep(max: config.maxConnections) }) {
            case .fail(let error):
                throw error
            case .use(let connection):
                if connection.isReusable() && !isExpired(connection) { return connection }
                discard(connection, replaced: true)
            case .open:
                let connection: Connection
                do {
                    connection = try await openConnection()
                } catch {
                    state.withLock {
                        $0.connecting -= 1
                        $0.connectFailures += 1
                    }
                    throw error
                }
                state.withLock {
                    $0.connecting -= 1
                    $0.open += 1
                    $0.inUse += 1
                    $0.acquired += 1
                }
                return connection
            case .wait:
                if let connection = try await waitForConnection() { return connection }
            }
        }
    }

    /// Gives a connection back: to the longest waiter, else to the idle list.
    /// A broken, expired or mid-transaction connection is closed instead.
    public func release(_ connection: Connection) {
        // No look at the socket here (acquire does that): a session the server
        // ended while it was lent out shows in libpq's status already.
        let reusable = connection.isReusableWithoutIO() && !isExpired(connection)
        let handOff = state.withLock { state -> Waiter? in
            state.inUse -= 1
            guard reusable else {
                state.open -= 1
                state.connectionsClosed += 1
                // The freed slot lets a waiter open a fresh connection.
                return state.closed ? nil : state.waiters.popFirst()
            }
            if !state.closed, let waiter = state.waiters.popFirst() {
                state.inUse += 1
                state.acquired += 1
                return waiter
            }
            state.idle.append(Idle(connection: connection, since: .now))
            if state.closed, state.inUse == 0 {
                let drained = state.closeWaiters
                state.closeWaiters = []
                for waiter in drained { waiter.resume() }
            }
            return nil
        }
        if !reusable {
            Task { await connection.close() }
            handOff?.timeout?.cancel()
            handOff?.continuation.resume(returning: nil)
        } else if let handOff {
            handOff.timeout?.cancel()
            handOff.continuation.resume(returning: connection)
        }
    }

    /// Waits in line; nil means "try again" (a slot or a connection became free).
    private func waitForConnection() async throws -> Connection? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = config.acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Connection?, any Error>) in
                let outcome = state.withLock { state -> Swift.Result<Connection?, any Error>? in
                    if state.closed { return .failure(PostgresError.poolClosed()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if (state.waiters.isEmpty && !state.idle.isEmpty)
                        || state.open + state.connecting < config.maxConnections
                    {
                        return .success(nil)
                    }
                    let timer = Task { [weak self] in
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        self?.expireWaiter(id)
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation, timeout: timer))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.remove(id: id) }
            waiter?.timeout?.cancel()
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func expireWaiter(_ id: Int) {
        let (waiter, snapshot) = state.withLock { state -> (Waiter?, State.Snapshot) in
            let waiter = state.waiters.remove(id: id)
            if waiter != nil { state.acquireTimeouts += 1 }
            return (waiter, state.snapshot)
        }
        guard let waiter else { return }
        waiter.continuation.resume(
            throwing: PostgresError(
                code: .acquireTimeout,
                message: "no connection became free within \(config.acquireTimeout.readable) "
                    + "(pool size \(config.maxConnections): \(snapshot.inUse) in use, "
                    + "\(snapshot.waiting + 1) waiting)"))
    }

    private func openConnection() async throws -> Connection {
        let connection = try await Connection.connect(config, logger: logger, statistics: statistics)
        state.withLock { $0.connectionsOpened += 1 }
        return connection
    }

    private func isExpired(_ connection: Connection) -> Bool {
        guard let maxLifetime = config.maxLifetime else { return false }
        return ContinuousClock.now - connection.openedAt > maxLifetime
    }

    /// Drops a connection that was lent out but turned out unusable.
    private func discard(_ connection: Connection, replaced: Bool) {
        state.withLock {
            $0.inUse -= 1
            $0.open -= 1
            $0.connectionsClosed += 1
            if replaced { $0.connectionsReplaced += 1 }
        }
        Task { await connection.close() }
    }

    // MARK: - State

    /// The pool's counters and sizes now.
    public var metrics: PoolMetrics {
        get async {
            let snapshot = state.withLock { $0.snapshot }
            return PoolMetrics(
                open: snapshot.open, idle: snapshot.idle, inUse: snapshot.inUse, waiting: snapshot.waiting,
                connecting: snapshot.connecting, acquired: snapshot.acquired,
                acquireTimeouts: snapshot.acquireTimeouts, connectionsOpened: snapshot.connectionsOpened,
                connectionsClosed: snapshot.connectionsClosed, connectionsReplaced: snapshot.connectionsReplaced,
                connectFailures: snapshot.connectFailures,
                queries: statistics.queries.load(ordering: .relaxed),
                slowQueries: statistics.slowQueries.load(ordering: .relaxed),
                minConnections: config.minConnections, maxConnections: config.maxConnections)
        }
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Stops lending, fails waiters, waits for the connections in use to come
    /// back, then closes every connection.
    ///
    /// ```swift
    /// await pool.close()
    /// ```
    public func close() async {
        let waiters = state.withLock { state -> [Waiter] in
            state.closed = true
            let waiters = state.waiters.all
            state.waiters = WaiterQueue()
            return waiters
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: PostgresError.poolClosed())
        }
        maintenance.withLock { $0?.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.inUse == 0 { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        let idle = state.withLock { state -> [Idle] in
            let idle = state.idle
            state.idle = []
            state.open -= idle.count
            state.connectionsClosed += idle.count
            return idle
        }
        for entry in idle { await entry.connection.close() }
    }

    // MARK: - Schemas created through this pool

    func isSchemaReady(_ schema: String) -> Bool { state.withLock { $0.readySchemas.contains(schema) } }
    func markSchemaReady(_ schema: String) { _ = state.withLock { $0.readySchemas.insert(schema) } }

    // MARK: - Maintenance

    private func startMaintenance() {
        let interval = Self.maintenanceInterval(config)
        let task = Task { [weak self] in
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: interval)) != nil else { return }
                await self?.maintain()
            }
        }
        maintenance.withLock { $0 = task }
    }

    static func maintenanceInterval(_ config: DatabaseConfig) -> Duration {
        let limits = [config.idleTimeout, config.maxLifetime].compactMap { $0 }
        let shortest = limits.min() ?? .seconds(30)
        return min(max(shortest / 4, .milliseconds(100)), .seconds(30))
    }

    /// Closes idle connections past `idleTimeout` (above the minimum) or
    /// `maxLifetime`, and tops the pool up to `minConnections`.
    func maintain() async {
        let now = ContinuousClock.now
        let (expired, missing) = state.withLock { state -> ([Connection], Int) in
            guard !state.closed else { return ([], 0) }
            var expired: [Connection] = []
            var kept: [Idle] = []
            var open = state.open
            for entry in state.idle {
                let tooOld = config.maxLifetime.map { now - entry.connection.openedAt > $0 } ?? false
                let idleTooLong =
                    open > config.minConnections && (config.idleTimeout.map { now - entry.since > $0 } ?? false)
                if tooOld || idleTooLong {
                    expired.append(entry.connection)
                    open -= 1
                } else {
                    kept.append(entry)
                }
            }
            state.idle = kept
            state.connectionsClosed += state.open - open
            state.open = open
            let missing = max(0, config.minConnections - state.open - state.connecting)
            state.connecting += missing
            return (expired, missing)
        }
        for connection in expired { await connection.close() }
        for _ in 0..<missing {
            do {
                let connection = try await openConnection()
                release(connection, opened: true)
            } catch {
                state.withLock {
                    $0.connecting -= 1
                    $0.connectFailures += 1
                }
                logger.warning("cannot open a connection to keep the pool's minimum", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Adds a connection opened in the background, as if it had been lent and given back.
    private func release(_ connection: Connection, opened: Bool) {
        state.withLock {
            $0.connecting -= 1
            $0.open += 1
            $0.inUse += 1
        }
        release(connection)
    }
}

extension ConnectionPool {
    struct Idle {
        let connection: Connection
        let since: ContinuousClock.Instant
    }

    struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Connection?, any Error>
        let timeout: Task<Void, Never>?
    }

    /// First come, first served; removal by id for timeouts and cancellation.
    struct WaiterQueue {
        private var items: [Waiter] = []
        private var head = 0

        var count: Int { items.count - head }
        var isEmpty: Bool { count == 0 }
        var all: [Waiter] { Array(items[head...]) }

        mutating func append(_ waiter: Waiter) { items.append(waiter) }

        mutating func popFirst() -> Waiter? {
            guard head < items.count else { return nil }
            let waiter = items[head]
            head += 1
            if head > 64, head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return waiter
        }

        mutating func remove(id: Int) -> Waiter? {
            guard let index = items[head...].firstIndex(where: { $0.id == id }) else { return nil }
            return items.remove(at: index)
        }
    }

    enum Step {
        case use(Connection)
        case open
        case wait
        case fail(PostgresError)
    }

    struct State {
        var idle: [Idle] = []
        var open = 0
        var inUse = 0
        var connecting = 0
        var waiters = WaiterQueue()
        var nextWaiterID = 0
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var readySchemas: Set<String> = []
        var acquired = 0
        var acquireTimeouts = 0
        var connectionsOpened = 0
        var connectionsClosed = 0
        var connectionsReplaced = 0
        var connectFailures = 0

        mutating func nextStep(max: Int) -> Step {
            if closed { return .fail(.poolClosed()) }
            // Waiters go first: a newcomer must not overtake the line.
            if waiters.isEmpty, let entry = idle.popLast() {
                inUse += 1
                acquired += 1
                return .use(entry.connection)
            }
            if open + connecting < max {
                connecting += 1
                return .open
            }
            return .wait
        }

        struct Snapshot {
            var open, idle, inUse, waiting, connecting, acquired, acquireTimeouts: Int
            var connectionsOpened, connectionsClosed, connectionsReplaced, connectFailures: Int
        }

        var snapshot: Snapshot {
            Snapshot(
                open: open, idle: idle.count, inUse: inUse, waiting: waiters.count, connecting: connecting,
                acquired: acquired, acquireTimeouts: acquireTimeouts, connectionsOpened: connectionsOpened,
                connectionsClosed: connectionsClosed, connectionsReplaced: connectionsReplaced,
                connectFailures: connectFailures)
        }
    }
}

extension PostgresError {
    static func poolClosed() -> PostgresError {
        PostgresError(code: .poolClosed, message: "the connection pool is closed")
    }
}
