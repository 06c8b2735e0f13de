extension ConnectionPool {
    /// The one timer for every waiter's `acquireTimeout`: a single task that
    /// sleeps until the first deadline in line, fails whoever is past it, and
    /// sleeps again, ending when the line is empty (the next waiter starts a new
    /// one). A waiter costs its continuation and an entry in line, not a
    /// sleeping task of its own: contended acquires hold no memory until their
    /// timeout.
    ///
    /// Called under the lock, by the transition that said `startTimer`, with
    /// the deadline of the waiter it put in line. The task ends only through
    /// ``PoolStateMachine/expireWaiters(now:)`` saying so (which marks the
    /// timer stopped under the same lock), or when `close()` cancels it.
    func startWaiterTimer(firstDeadline: ContinuousClock.Instant) -> Task<Void, Never> {
        Task { [weak self] in
            var deadline: ContinuousClock.Instant? = firstDeadline
            while let current = deadline {
                guard (try? await Task.sleep(until: current, clock: .continuous)) != nil, let pool = self else {
                    return
                }
                deadline = pool.expireWaiters()
            }
        }
    }

    /// Fails the waiters past their deadline; the next deadline, or nil when the timer may stop.
    private func expireWaiters() -> ContinuousClock.Instant? {
        let now = ContinuousClock.now
        let expired = state.withLock { $0.machine.expireWaiters(now: now) }
        if !expired.requests.isEmpty {
            let error = error(for: .timedOut)
            for request in expired.requests { request.resume(throwing: error) }
        }
        return expired.nextDeadline
    }
}
