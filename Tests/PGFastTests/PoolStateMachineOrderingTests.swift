import Testing

@testable import PGFast

/// Every ordering of close / release (healthy, killed, inside a transaction) /
/// discard / an open finishing or failing / a waiter timing out or cancelled /
/// the closes those trigger, run through the machine: in each, `close()`
/// completes exactly once, every connection opened is closed, nothing is left
/// lent or in line, and the invariants hold at every step.
@Suite("Pool state machine: every ordering of close, release, kill and open")
struct PoolStateMachineOrderingTests {
    enum Event: Hashable, CustomStringConvertible {
        case close
        /// `reusable` false: killed by the server while lent, or left inside a transaction.
        case release(connection: Int, reusable: Bool)
        case discard(connection: Int)
        case openSucceeds
        case refillSucceeds
        case openFails
        case connectionClosed(Int)
        case timeout
        case cancelWaiter(Int)

        var description: String {
            switch self {
            case .close: "close"
            case .release(let id, let reusable): "release(c\(id), \(reusable ? "healthy" : "broken"))"
            case .discard(let id): "discard(c\(id))"
            case .openSucceeds: "opened"
            case .refillSucceeds: "refilled"
            case .openFails: "openFailed"
            case .connectionClosed(let id): "closed(c\(id))"
            case .timeout: "timeout"
            case .cancelWaiter(let id): "cancel(w\(id))"
            }
        }
    }

    /// A pool mid-flight and the events still to happen to it.
    struct World {
        var machine: Machine
        var pending: [Event]
        var lent: [Int: MockConnection] = [:]
        var opened: Set<Int> = []
        var closed: Set<Int> = []
        var waiting: Set<Int> = []
        var closeCompletions = 0
        var closeCalled = false
        var nextConnection = 100
        var now = MockInstant.zero
        var trace: [Event] = []

        mutating func apply(_ actions: Machine.Actions) {
            if let connection = actions.close { pending.append(.connectionClosed(connection.id)) }
            if let (request, grant) = actions.wake {
                #expect(waiting.remove(request) != nil, "woke a request that was not waiting")
                switch grant {
                case .connection(let connection):
                    lent[connection.id] = connection
                    // The woken holder gives it back some time later, alternately healthy and killed.
                    pending.append(.release(connection: connection.id, reusable: request % 2 == 0))
                case .openSlot:
                    pending.append(request % 2 == 0 ? .openSucceeds : .openFails)
                }
            }
            if actions.closeCompleted { closeCompletions += 1 }
        }

        mutating func fire(_ event: Event) {
            trace.append(event)
            switch event {
            case .close:
                closeCalled = true
                let action = machine.close()
                for request in action.failWaiters { #expect(waiting.remove(request) != nil) }
                for connection in action.closeConnections { pending.append(.connectionClosed(connection.id)) }
                if action.completed { closeCompletions += 1 }
            case .release(let id, let reusable):
                let connection = lent.removeValue(forKey: id)!
                apply(machine.release(connection, reusable: reusable, now: now))
            case .discard(let id):
                let connection = lent.removeValue(forKey: id)!
                apply(machine.discard(connection, replaced: true, now: now))
            case .openSucceeds:
                nextConnection += 1
                let connection = MockConnection(nextConnection, openedAt: now)
                opened.insert(connection.id)
                switch machine.connectionOpened(connection, now: now) {
                case .lend(let connection):
                    lent[connection.id] = connection
                    pending.append(.release(connection: connection.id, reusable: true))
                case .close(let connection):
                    pending.append(.connectionClosed(connection.id))
                }
            case .refillSucceeds:
                nextConnection += 1
                let connection = MockConnection(nextConnection, openedAt: now)
                opened.insert(connection.id)
                apply(machine.refillOpened(connection, now: now))
            case .openFails:
                apply(machine.openFailed())
            case .connectionClosed(let id):
                #expect(closed.insert(id).inserted, "c\(id) closed twice")
                if machine.connectionClosed() { closeCompletions += 1 }
            case .timeout:
                now = now.advanced(by: .seconds(11))
                for request in machine.expireWaiters(now: now).requests {
                    #expect(waiting.remove(request) != nil)
                }
            case .cancelWaiter(let id):
                if machine.cancel(id: id) != nil { #expect(waiting.remove(id) != nil) }
            }
            #expect(machine.invariantsHold, "invariants broken after \(trace)")
            #expect(closeCompletions <= 1, "close completed twice: \(trace)")
        }

        func checkEnd() {
            #expect(closeCompletions == 1, "close never completed: \(trace)")
            #expect(machine.lifecycle == .closed, "\(trace)")
            #expect(lent.isEmpty && waiting.isEmpty, "\(trace)")
            #expect(opened.isSubset(of: closed), "left open: \(opened.subtracting(closed)) after \(trace)")
            #expect(machine.open == 0 && machine.connecting == 0 && machine.closing == 0, "\(trace)")
        }
    }

    /// Depth-first over every interleaving of the pending events (and the ones they cause).
    static func explore(_ world: World, leaves: inout Int) {
        guard !world.pending.isEmpty else {
            world.checkEnd()
            leaves += 1
            return
        }
        for index in world.pending.indices {
            var next = world
            let event = next.pending.remove(at: index)
            next.fire(event)
            explore(next, leaves: &leaves)
        }
    }

    /// Two connections lent (1 and 2), a third being opened, one task waiting
    /// (request 7), `close()` still to be called.
    static func busyPool() -> World {
        var pool = machine(max: 3)
        let first = pool.lendNew(1)
        let second = pool.lendNew(2)
        let step1 = pool.acquire()
        #expect(step1.opens)
        _ = pool.wait(7)
        var world = World(machine: pool, pending: [])
        world.lent = [1: first, 2: second]
        world.opened = [1, 2]
        world.waiting = [7]
        return world
    }

    static let scenarios: [[Event]] = [
        [.close, .release(connection: 1, reusable: true), .release(connection: 2, reusable: false), .openSucceeds],
        [.close, .release(connection: 1, reusable: false), .discard(connection: 2), .openFails],
        [.close, .discard(connection: 1), .release(connection: 2, reusable: true), .openSucceeds, .timeout],
        [
            .close, .release(connection: 1, reusable: false), .release(connection: 2, reusable: false), .openFails,
            .cancelWaiter(7),
        ],
        [.close, .release(connection: 1, reusable: true), .discard(connection: 2), .openSucceeds, .cancelWaiter(7)],
    ]

    @Test(arguments: scenarios.indices)
    func closeCompletesInEveryOrdering(scenario: Int) {
        var world = Self.busyPool()
        world.pending = Self.scenarios[scenario]
        var leaves = 0
        Self.explore(world, leaves: &leaves)
        // Far more orderings than events: the closes and wake-ups they cause interleave too.
        #expect(leaves > 100)
    }

    /// The same with a pool that also has an idle connection and a refill in flight.
    @Test func closeCompletesWithIdleAndRefillingConnections() {
        var pool = machine(min: 2, max: 3)
        let step2 = pool.maintain(now: .zero)
        #expect(step2.open == 2)
        let idle = MockConnection(1)
        _ = pool.refillOpened(idle, now: .zero)
        let lent = pool.acquire().lent!
        #expect(lent === idle)
        var world = World(
            machine: pool,
            pending: [
                .close, .release(connection: 1, reusable: false), .refillSucceeds,
            ])
        world.lent = [1: lent]
        world.opened = [1]
        var leaves = 0
        Self.explore(world, leaves: &leaves)
        #expect(leaves > 10)
    }
}
