/// What the pool's bookkeeping needs to know of a connection: when it was opened
/// (for `maxLifetime`). ``Connection`` in the pool; a plain object in the tests.
/// What a woken waiter gets: a connection, or the right to open one (a slot
/// already counted as connecting for it).
enum PoolGrant<Connection> {
    case connection(Connection)
    case openSlot
}

extension PoolGrant: Sendable where Connection: Sendable {}

protocol PooledConnection {
    associatedtype Instant: InstantProtocol where Instant.Duration == Duration
    var openedAt: Instant { get }
}

/// The pool's logic as a pure value, after postgres-nio's `PoolStateMachine`.
///
/// Every event (an acquire, a connection given back healthy or broken, a
/// connection opened or failing to open, a connection closed, `close()`, the
/// waiters' timer, the maintenance tick) is one mutating call that returns what
/// must be done: lend this connection, wake that waiter, close this connection,
/// resume `close()`. The pool runs it under one lock and does the I/O outside;
/// the tests drive it with a mock clock and no server.
///
/// `close()` completes once nothing is lent, opening or being closed: a
/// connection that comes back (healthy or not), or finishes opening, after
/// `close()` is closed, and that close is what completes it.
struct PoolStateMachine<Connection: PooledConnection, Request> {
    typealias Instant = Connection.Instant

    struct Configuration: Sendable {
        var minConnections: Int
        var maxConnections: Int
        var acquireTimeout: Duration
        var idleTimeout: Duration?
        var maxLifetime: Duration?

        /// Past `maxLifetime`: closed instead of lent or parked.
        func isExpired(_ connection: Connection, now: Instant) -> Bool {
            guard let maxLifetime else { return false }
            return connection.openedAt.duration(to: now) > maxLifetime
        }
    }

    enum Lifecycle: Equatable {
        case running
        /// `close()` was called; some connections are still lent, opening or closing.
        case closing
        case closed
    }

    /// Why a request fails.
    enum Failure: Equatable {
        case closed
        case timedOut
    }

    typealias Grant = PoolGrant<Connection>

    /// What to do after an event. Only fixed-size fields, so the hot path allocates nothing.
    struct Actions {
        /// Resume this waiter with this grant.
        var wake: (request: Request, grant: Grant)?
        /// Close this connection, then report ``connectionClosed()``.
        var close: Connection?
        /// `close()` has completed: resume whoever waits in it.
        var closeCompleted = false
    }

    enum AcquireAction {
        /// Check it (without a round trip) and use it; ``discard(_:replaced:now:)`` it if broken.
        case lend(Connection)
        /// Open a connection, then report ``connectionOpened(_:now:)`` or ``openFailed()``.
        case open
        /// No slot: wait in line (``enqueue(id:request:now:)``).
        case wait
        case fail(Failure)
    }

    enum EnqueueAction: Equatable {
        /// A connection or a slot became free since ``acquire()``: acquire again.
        case retry
        /// In line. `startTimer`: no timer runs, start the one for all waiters.
        case enqueued(startTimer: Bool)
        case fail(Failure)
    }

    enum OpenedAction {
        case lend(Connection)
        /// The pool closed while it was opening: close it (then ``connectionClosed()``) and fail.
        case close(Connection)
    }

    struct CloseAction {
        var failWaiters: [Request] = []
        var closeConnections: [Connection] = []
        /// The waiters' timer has nothing left to do.
        var stopTimer = false
        /// Complete already: nothing was lent, opening or closing.
        var completed = false
    }

    struct Expired {
        var requests: [Request] = []
        /// When to look again; nil: the timer stops (a new waiter starts another).
        var nextDeadline: Instant?
    }

    struct Counters: Equatable {
        var acquired = 0
        var acquireTimeouts = 0
        var connectionsOpened = 0
        var connectionsClosed = 0
        var connectionsReplaced = 0
        var connectFailures = 0
    }

    struct Idle {
        let connection: Connection
        let since: Instant
    }

    struct Waiter {
        let id: Int
        let request: Request
        let deadline: Instant
    }

    let configuration: Configuration
    /// Oldest first; lent newest first (a warm connection, and the old ones age out).
    private(set) var idle: [Idle] = []
    private(set) var inUse = 0
    private(set) var connecting = 0
    /// Connections handed out to be closed whose close has not been reported yet.
    private(set) var closing = 0
    private(set) var waiters = WaiterQueue<Waiter>()
    private(set) var lifecycle = Lifecycle.running
    /// Whether the one timer for all waiters runs.
    private(set) var timerRunning = false
    private(set) var counters = Counters()

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Connections open now: idle and lent.
    var open: Int { idle.count + inUse }
    var isRunning: Bool { lifecycle == .running }
    private var hasFreeSlot: Bool { open + connecting < configuration.maxConnections }

    // MARK: - Acquiring

    mutating func acquire() -> AcquireAction {
        guard isRunning else { return .fail(.closed) }
        // Waiters go first: a newcomer must not overtake the line.
        if waiters.isEmpty, let entry = idle.popLast() {
            lend()
            return .lend(entry.connection)
        }
        if hasFreeSlot {
            connecting += 1
            return .open
        }
        return .wait
    }

    /// Puts a request in line, unless a connection or a slot became free since
    /// ``acquire()`` said to wait (the caller's continuation is made in between).
    mutating func enqueue(id: Int, request: Request, now: Instant) -> EnqueueAction {
        guard isRunning else { return .fail(.closed) }
        if (waiters.isEmpty && !idle.isEmpty) || hasFreeSlot { return .retry }
        waiters.append(Waiter(id: id, request: request, deadline: now.advanced(by: configuration.acquireTimeout)))
        guard !timerRunning else { return .enqueued(startTimer: false) }
        timerRunning = true
        return .enqueued(startTimer: true)
    }

    /// A waiting task was cancelled: its request, if still in line.
    mutating func cancel(id: Int) -> Request? {
        waiters.remove(id: id)?.request
    }

    /// The timer fired: the requests past their deadline, in line order.
    mutating func expireWaiters(now: Instant) -> Expired {
        var expired = Expired()
        while let first = waiters.first, first.deadline <= now {
            _ = waiters.popFirst()
            counters.acquireTimeouts += 1
            expired.requests.append(first.request)
        }
        // Deadlines grow along the line (one timeout for all), so the first is the next.
        if isRunning, let first = waiters.first {
            expired.nextDeadline = first.deadline
        } else {
            timerRunning = false
        }
        return expired
    }

    /// The earliest deadline in line.
    var nextDeadline: Instant? { waiters.first?.deadline }

    // MARK: - Taking connections back

    /// A lent connection comes back. `reusable`: open and outside a transaction
    /// (the caller's look at libpq's state); expiry is decided here.
    mutating func release(_ connection: Connection, reusable: Bool, now: Instant) -> Actions {
        precondition(inUse > 0, "pgfast: a connection was released that the pool had not lent")
        inUse -= 1
        return takeBack(connection, reusable: reusable && !configuration.isExpired(connection, now: now), now: now)
    }

    /// A lent connection is unusable (broken, or found broken before use): close it.
    mutating func discard(_ connection: Connection, replaced: Bool, now: Instant) -> Actions {
        precondition(inUse > 0, "pgfast: a connection was discarded that the pool had not lent")
        inUse -= 1
        if replaced { counters.connectionsReplaced += 1 }
        return takeBack(connection, reusable: false, now: now)
    }

    /// A connection opened for an acquirer (``AcquireAction/open``, ``Grant/openSlot``).
    mutating func connectionOpened(_ connection: Connection, now: Instant) -> OpenedAction {
        precondition(connecting > 0, "pgfast: a connection opened that the pool had not asked for")
        connecting -= 1
        counters.connectionsOpened += 1
        guard isRunning else {
            retire()
            return .close(connection)
        }
        lend()
        return .lend(connection)
    }

    /// A connection opened by maintenance (the `minConnections` refill): parked or handed on.
    mutating func refillOpened(_ connection: Connection, now: Instant) -> Actions {
        precondition(connecting > 0, "pgfast: a connection opened that the pool had not asked for")
        connecting -= 1
        counters.connectionsOpened += 1
        return takeBack(connection, reusable: true, now: now)
    }

    /// Opening a connection failed: its slot is free again, for the first waiter.
    mutating func openFailed() -> Actions {
        precondition(connecting > 0, "pgfast: a connection failed to open that the pool had not asked for")
        connecting -= 1
        counters.connectFailures += 1
        var actions = Actions()
        actions.wake = grantSlotToFirstWaiter()
        actions.closeCompleted = completeCloseIfDrained()
        return actions
    }

    /// A connection given out by ``Actions/close`` (or ``CloseAction/closeConnections``,
    /// ``OpenedAction/close(_:)``, ``maintain(now:)``) is closed. True: `close()` completed.
    mutating func connectionClosed() -> Bool {
        precondition(closing > 0, "pgfast: a connection closed that the pool had not closed")
        closing -= 1
        return completeCloseIfDrained()
    }

    private mutating func takeBack(_ connection: Connection, reusable: Bool, now: Instant) -> Actions {
        var actions = Actions()
        guard reusable, isRunning else {
            retire()
            actions.close = connection
            actions.wake = grantSlotToFirstWaiter()
            return actions
        }
        if let waiter = waiters.popFirst() {
            lend()
            actions.wake = (waiter.request, .connection(connection))
            return actions
        }
        idle.append(Idle(connection: connection, since: now))
        return actions
    }

    private mutating func grantSlotToFirstWaiter() -> (request: Request, grant: Grant)? {
        guard isRunning, hasFreeSlot, let waiter = waiters.popFirst() else { return nil }
        connecting += 1
        return (waiter.request, .openSlot)
    }

    private mutating func lend() {
        inUse += 1
        counters.acquired += 1
    }

    /// One connection leaves the pool to be closed.
    private mutating func retire() {
        closing += 1
        counters.connectionsClosed += 1
    }

    // MARK: - Closing

    /// Stops lending: fails the waiters, closes the idle connections; completes
    /// when the lent and opening ones are back and closed too.
    mutating func close() -> CloseAction {
        var action = CloseAction()
        switch lifecycle {
        case .closed:
            action.completed = true
            return action
        case .closing:
            return action
        case .running:
            break
        }
        lifecycle = .closing
        while let waiter = waiters.popFirst() { action.failWaiters.append(waiter.request) }
        action.closeConnections = idle.map(\.connection)
        for _ in idle { retire() }
        idle = []
        action.stopTimer = timerRunning
        timerRunning = false
        action.completed = completeCloseIfDrained()
        return action
    }

    private mutating func completeCloseIfDrained() -> Bool {
        guard lifecycle == .closing, inUse == 0, connecting == 0, closing == 0, idle.isEmpty else { return false }
        lifecycle = .closed
        return true
    }

    // MARK: - Maintenance

    /// The periodic tick: idle connections past `idleTimeout` (above the
    /// minimum) or `maxLifetime` are to be closed, and `open` connections are to
    /// be opened to keep `minConnections` (report each with
    /// ``refillOpened(_:now:)`` or ``openFailed()``). Also the pool's first fill.
    mutating func maintain(now: Instant) -> (close: [Connection], open: Int) {
        guard isRunning else { return ([], 0) }
        var expired: [Connection] = []
        var kept: [Idle] = []
        var remaining = open
        for entry in idle {
            let tooOld = configuration.isExpired(entry.connection, now: now)
            let idleTooLong =
                remaining > configuration.minConnections
                && (configuration.idleTimeout.map { entry.since.duration(to: now) > $0 } ?? false)
            if tooOld || idleTooLong {
                expired.append(entry.connection)
                remaining -= 1
                retire()
            } else {
                kept.append(entry)
            }
        }
        idle = kept
        let missing = max(0, configuration.minConnections - open - connecting)
        connecting += missing
        return (expired, missing)
    }

    /// What the bookkeeping promises at every step (checked by the tests).
    var invariantsHold: Bool {
        inUse >= 0 && connecting >= 0 && closing >= 0
            && open + connecting <= configuration.maxConnections
            && (isRunning || (waiters.isEmpty && idle.isEmpty && !timerRunning))
            && (waiters.isEmpty || timerRunning)
            && (lifecycle != .closed || (inUse == 0 && connecting == 0 && closing == 0))
    }
}
