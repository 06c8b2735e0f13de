import Testing

@testable import PGFast

/// A clock the tests move by hand.
struct MockInstant: InstantProtocol {
    var offset: Duration
    static let zero = MockInstant(offset: .zero)
    static func seconds(_ seconds: Int) -> MockInstant { MockInstant(offset: .seconds(seconds)) }
    func advanced(by duration: Duration) -> MockInstant { MockInstant(offset: offset + duration) }
    func duration(to other: MockInstant) -> Duration { other.offset - offset }
    static func < (lhs: MockInstant, rhs: MockInstant) -> Bool { lhs.offset < rhs.offset }
}

/// A connection as the machine sees one: an identity and an age.
final class MockConnection: PooledConnection, CustomStringConvertible {
    let id: Int
    let openedAt: MockInstant
    init(_ id: Int, openedAt: MockInstant = .zero) {
        self.id = id
        self.openedAt = openedAt
    }
    var description: String { "c\(id)" }
}

typealias Machine = PoolStateMachine<MockConnection, Int>

func machine(
    min: Int = 0, max: Int = 2, acquireTimeout: Duration = .seconds(10), idleTimeout: Duration? = nil,
    maxLifetime: Duration? = nil
) -> Machine {
    Machine(
        configuration: .init(
            minConnections: min, maxConnections: max, acquireTimeout: acquireTimeout, idleTimeout: idleTimeout,
            maxLifetime: maxLifetime))
}

extension Machine.AcquireAction {
    var lent: MockConnection? {
        if case .lend(let connection) = self { return connection }
        return nil
    }
    var opens: Bool {
        if case .open = self { return true }
        return false
    }
    var waits: Bool {
        if case .wait = self { return true }
        return false
    }
    var failure: Machine.Failure? {
        if case .fail(let failure) = self { return failure }
        return nil
    }
}

extension Machine.OpenedAction {
    var lent: MockConnection? {
        if case .lend(let connection) = self { return connection }
        return nil
    }
    var closes: MockConnection? {
        if case .close(let connection) = self { return connection }
        return nil
    }
}

extension PoolGrant<MockConnection> {
    var connection: MockConnection? {
        if case .connection(let connection) = self { return connection }
        return nil
    }
    var isOpenSlot: Bool {
        if case .openSlot = self { return true }
        return false
    }
}

extension Machine {
    /// Acquire and open a connection for it: a lent connection.
    mutating func lendNew(_ id: Int, now: MockInstant = .zero) -> MockConnection {
        #expect(acquire().opens)
        let connection = MockConnection(id, openedAt: now)
        #expect(connectionOpened(connection, now: now).lent === connection)
        return connection
    }

    /// Acquire must wait: put `request` in line.
    mutating func wait(_ request: Int, now: MockInstant = .zero) -> Bool {
        #expect(acquire().waits)
        guard case .enqueued(let startTimer) = enqueue(id: request, request: request, now: now) else {
            Issue.record("expected to be in line")
            return false
        }
        return startTimer
    }
}

@Suite("Pool state machine: lending")
struct PoolStateMachineLendingTests {
    @Test func opensUpToTheMaximumThenWaits() {
        var pool = machine(max: 2)
        _ = pool.lendNew(1)
        let step1 = pool.acquire()
        #expect(step1.opens)
        let step2 = pool.acquire()
        #expect(step2.waits)
        #expect(pool.connecting == 1)
        #expect(pool.inUse == 1)
        #expect(pool.invariantsHold)
    }

    @Test func healthyReleaseGoesToTheLongestWaiterInOrder() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        let step3 = pool.wait(10)
        #expect(step3)
        let step4 = pool.wait(11)
        #expect(!step4, "one timer for all waiters")
        var actions = pool.release(connection, reusable: true, now: .zero)
        #expect(actions.wake?.request == 10)
        #expect(actions.wake?.grant.connection === connection)
        #expect(actions.close == nil)
        actions = pool.release(connection, reusable: true, now: .zero)
        #expect(actions.wake?.request == 11)
        actions = pool.release(connection, reusable: true, now: .zero)
        #expect(actions.wake == nil)
        #expect(pool.idle.count == 1)
        #expect(pool.counters.acquired == 3)
        #expect(pool.invariantsHold)
    }

    @Test func idleConnectionsAreLentNewestFirst() {
        var pool = machine(max: 2)
        let first = pool.lendNew(1)
        let second = pool.lendNew(2)
        _ = pool.release(first, reusable: true, now: .zero)
        _ = pool.release(second, reusable: true, now: .seconds(1))
        let step5 = pool.acquire()
        #expect(step5.lent === second)
    }

    @Test func aNewcomerDoesNotOvertakeTheLine() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        _ = pool.wait(10)
        // A free slot appears while someone waits: enqueue says "acquire again"
        // only when the line is empty; here the line goes first.
        let actions = pool.discard(connection, replaced: false, now: .zero)
        #expect(actions.wake?.request == 10)
        #expect(actions.wake?.grant.isOpenSlot == true)
        let step6 = pool.acquire()
        #expect(step6.waits)
    }

    @Test func enqueueAsksAgainWhenSomethingFreedMeanwhile() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        let step7 = pool.acquire()
        #expect(step7.waits)
        _ = pool.release(connection, reusable: true, now: .zero)
        let step8 = pool.enqueue(id: 1, request: 1, now: .zero)
        #expect(step8 == .retry)
        #expect(pool.waiters.isEmpty)
    }

    @Test func brokenReleaseFreesTheSlotForTheFirstWaiter() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        _ = pool.wait(10)
        let actions = pool.release(connection, reusable: false, now: .zero)
        #expect(actions.close === connection)
        #expect(actions.wake?.request == 10)
        #expect(actions.wake?.grant.isOpenSlot == true)
        #expect(pool.connecting == 1, "the slot is counted for the woken waiter")
        #expect(pool.closing == 1)
        #expect(pool.counters.connectionsClosed == 1)
        #expect(pool.invariantsHold)
    }

    @Test func discardCountsAReplacement() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        let actions = pool.discard(connection, replaced: true, now: .zero)
        #expect(actions.close === connection)
        #expect(pool.counters.connectionsReplaced == 1)
        #expect(pool.open == 0)
    }

    @Test func anExpiredConnectionIsClosedOnRelease() {
        var pool = machine(max: 1, maxLifetime: .seconds(60))
        let connection = pool.lendNew(1)
        let step9 = pool.release(connection, reusable: true, now: .seconds(30))
        #expect(step9.close == nil)
        let step10 = pool.acquire()
        #expect(step10.lent === connection)
        let step11 = pool.release(connection, reusable: true, now: .seconds(61))
        #expect(step11.close === connection)
        #expect(pool.configuration.isExpired(connection, now: .seconds(61)))
    }

    @Test func aFailedOpenFreesTheSlotForTheNextWaiter() {
        var pool = machine(max: 1)
        let step12 = pool.acquire()
        #expect(step12.opens)
        _ = pool.wait(10)
        let actions = pool.openFailed()
        #expect(actions.wake?.request == 10)
        #expect(actions.wake?.grant.isOpenSlot == true)
        #expect(pool.counters.connectFailures == 1)
        #expect(pool.connecting == 1)
    }
}

@Suite("Pool state machine: waiter timeouts")
struct PoolStateMachineTimeoutTests {
    @Test func oneTimerServesEveryWaiterInDeadlineOrder() {
        var pool = machine(max: 1, acquireTimeout: .seconds(10))
        _ = pool.lendNew(1)
        let step13 = pool.wait(10, now: .zero)
        #expect(step13)
        let step14 = pool.wait(11, now: .seconds(3))
        #expect(!step14)
        let step15 = pool.wait(12, now: .seconds(6))
        #expect(!step15)
        #expect(pool.nextDeadline == .seconds(10))

        var expired = pool.expireWaiters(now: .seconds(9))
        #expect(expired.requests.isEmpty)
        #expect(expired.nextDeadline == .seconds(10))

        expired = pool.expireWaiters(now: .seconds(13))
        #expect(expired.requests == [10, 11])
        #expect(expired.nextDeadline == .seconds(16))
        #expect(pool.timerRunning)

        expired = pool.expireWaiters(now: .seconds(16))
        #expect(expired.requests == [12])
        #expect(expired.nextDeadline == nil)
        #expect(!pool.timerRunning, "the timer stops with an empty line")
        #expect(pool.counters.acquireTimeouts == 3)
        let step16 = pool.wait(13, now: .seconds(20))
        #expect(step16, "the next waiter starts a timer again")
    }

    @Test func aCancelledWaiterLeavesTheLine() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        _ = pool.wait(10)
        _ = pool.wait(11)
        let step17 = pool.cancel(id: 10)
        #expect(step17 == 10)
        let step18 = pool.cancel(id: 10)
        #expect(step18 == nil)
        let step19 = pool.release(connection, reusable: true, now: .zero)
        #expect(step19.wake?.request == 11)
        // The timer finds nobody and stops.
        let step20 = pool.expireWaiters(now: .seconds(60))
        #expect(step20.nextDeadline == nil)
        #expect(pool.counters.acquireTimeouts == 0)
    }

    @Test func aLongLineStaysCheap() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        for round in 0..<10_000 {
            _ = pool.wait(round)
            let step21 = pool.release(connection, reusable: true, now: .zero)
            #expect(step21.wake?.request == round)
        }
        #expect(pool.waiters.isEmpty)
        #expect(pool.counters.acquired == 10_001)
    }
}

@Suite("Pool state machine: closing")
struct PoolStateMachineCloseTests {
    @Test func closeOfAQuietPoolCompletesAtOnce() {
        var pool = machine(max: 2)
        let connection = pool.lendNew(1)
        _ = pool.release(connection, reusable: true, now: .zero)
        let action = pool.close()
        #expect(action.closeConnections.map(\.id) == [1])
        #expect(!action.completed, "the idle connection's close is still to come")
        let step22 = pool.connectionClosed()
        #expect(step22)
        #expect(pool.lifecycle == .closed)
        let step23 = pool.close()
        #expect(step23.completed, "a second close returns at once")
        let step24 = pool.acquire()
        #expect(step24.failure == .closed)
    }

    @Test func closeWithNothingOpenCompletesAtOnce() {
        var pool = machine()
        let step25 = pool.close()
        #expect(step25.completed)
    }

    @Test func closeFailsWaitersAndStopsTheTimer() {
        var pool = machine(max: 1)
        _ = pool.lendNew(1)
        _ = pool.wait(10)
        _ = pool.wait(11)
        let action = pool.close()
        #expect(action.failWaiters == [10, 11])
        #expect(action.stopTimer)
        #expect(!action.completed)
        #expect(pool.invariantsHold)
    }

    /// Issue 12's first defect: a lent connection that comes back unusable
    /// (killed while lent, released inside a transaction) must complete close().
    @Test(arguments: [true, false])
    func aLentConnectionComingBackCompletesClose(reusable: Bool) {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        let step26 = pool.close()
        #expect(!step26.completed)
        let actions = pool.release(connection, reusable: reusable, now: .zero)
        #expect(actions.close === connection, "after close() every connection coming back is closed")
        #expect(actions.wake == nil)
        #expect(!actions.closeCompleted)
        let step27 = pool.connectionClosed()
        #expect(step27)
        #expect(pool.lifecycle == .closed)
    }

    @Test func aDiscardedConnectionCompletesClose() {
        var pool = machine(max: 1)
        let connection = pool.lendNew(1)
        _ = pool.close()
        let step28 = pool.discard(connection, replaced: true, now: .zero)
        #expect(step28.close === connection)
        let step29 = pool.connectionClosed()
        #expect(step29)
    }

    /// Issue 12's second defect: close() must wait for a connection being opened,
    /// and that connection must be closed, not lent.
    @Test func aConnectionOpenedAfterCloseIsClosedAndCompletesClose() {
        var pool = machine(max: 1)
        let step30 = pool.acquire()
        #expect(step30.opens)
        let step31 = pool.close()
        #expect(!step31.completed)
        let late = MockConnection(1)
        let step32 = pool.connectionOpened(late, now: .zero)
        #expect(step32.closes === late)
        #expect(pool.lifecycle == .closing)
        let step33 = pool.connectionClosed()
        #expect(step33)
        #expect(pool.counters.connectionsOpened == 1)
        #expect(pool.counters.connectionsClosed == 1)
    }

    @Test func aFailedOpenAfterCloseCompletesClose() {
        var pool = machine(max: 1)
        let step34 = pool.acquire()
        #expect(step34.opens)
        _ = pool.close()
        let step35 = pool.openFailed()
        #expect(step35.closeCompleted)
    }

    @Test func aRefillOpenedAfterCloseIsClosed() {
        var pool = machine(min: 1, max: 1)
        let step36 = pool.maintain(now: .zero)
        #expect(step36.open == 1)
        _ = pool.close()
        let late = MockConnection(1)
        let step37 = pool.refillOpened(late, now: .zero)
        #expect(step37.close === late)
        let step38 = pool.connectionClosed()
        #expect(step38)
    }
}

@Suite("Pool state machine: maintenance")
struct PoolStateMachineMaintenanceTests {
    @Test func refillsToTheMinimumCountingOpeningConnections() {
        var pool = machine(min: 2, max: 4)
        let step39 = pool.maintain(now: .zero)
        #expect(step39.open == 2)
        let step40 = pool.maintain(now: .zero)
        #expect(step40.open == 0, "two are already opening")
        _ = pool.refillOpened(MockConnection(1), now: .zero)
        _ = pool.openFailed()
        let step41 = pool.maintain(now: .zero)
        #expect(step41.open == 1)
        #expect(pool.open == 1)
    }

    @Test func closesIdleConnectionsAboveTheMinimumAndExpiredOnes() {
        var pool = machine(min: 1, max: 3, idleTimeout: .seconds(60), maxLifetime: .seconds(600))
        let connections = (1...3).map { pool.lendNew($0) }
        for connection in connections { _ = pool.release(connection, reusable: true, now: .zero) }
        var tick = pool.maintain(now: .seconds(61))
        #expect(tick.close.map(\.id) == [1, 2], "the oldest idle go, the minimum stays")
        #expect(tick.open == 0)
        tick = pool.maintain(now: .seconds(601))
        #expect(tick.close.map(\.id) == [3], "past maxLifetime even at the minimum")
        #expect(tick.open == 1, "and the minimum is refilled")
        #expect(pool.closing == 3)
    }

    @Test func doesNothingOnceClosed() {
        var pool = machine(min: 2, max: 2)
        _ = pool.close()
        let tick = pool.maintain(now: .zero)
        #expect(tick.close.isEmpty && tick.open == 0)
    }
}
