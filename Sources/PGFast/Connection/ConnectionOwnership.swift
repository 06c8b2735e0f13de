#if DEBUG
    import Synchronization

    /// Debug builds' check of the rule that lets a leased statement
    /// (``Connection/runLeased(_:file:line:)``) touch libpq from the task that
    /// holds the connection: the connection is lent to that task by the pool,
    /// and no other statement runs on it meanwhile. Violations stop the
    /// program at the place that broke the rule.
    final class ConnectionOwnership: Sendable {
        private let lent = Atomic<Bool>(false)
        private let statements = Atomic<Int>(0)

        var isLent: Bool { lent.load(ordering: .acquiring) }

        func lend() {
            let (exchanged, _) = lent.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
            precondition(exchanged, "pgfast: the pool lent a connection that was already lent")
        }

        func giveBack() {
            let (exchanged, _) = lent.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing)
            precondition(exchanged, "pgfast: a connection was released that was not lent")
        }

        func beginStatement() {
            let running = statements.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
            precondition(running == 1, "pgfast: two statements ran at once on one connection")
        }

        func endStatement() {
            statements.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        }
    }
#endif

extension Connection {
    /// The pool lends this connection (debug builds record it).
    nonisolated func markLent() {
        #if DEBUG
            ownership.lend()
        #endif
    }

    /// The pool takes it back (debug builds record it).
    nonisolated func markReturned() {
        #if DEBUG
            ownership.giveBack()
        #endif
    }
}
