import CLibPQ

extension Connection {
    /// The statement preamble every statement on the connection's thread goes
    /// through (``query(_:file:line:)``, ``execute(script:file:line:)``,
    /// ``pipeline(_:file:line:)``, ``copy(_:data:file:line:)``): the open
    /// handle, then ``cancellable(on:_:isolation:_:)``, with `work` run by
    /// ``onOwnThread(_:_:)`` so its blocking libpq calls cannot land on Swift's
    /// cooperative pool.
    func statement<R>(_ text: String, _ work: (OpaquePointer) -> R) async throws -> R {
        let handle = try openHandle()
        try Task.checkCancellation()
        return await Self.cancellable(on: self, text) { token in
            (await onOwnThread(token) { work(handle) }, nil)
        }
    }

    /// Runs `work` between the cancel token's `begin()` and `end()`.
    ///
    /// An actor-isolated async method of its own, never inlined: its entry hops
    /// to the connection's executor, its thread, whatever context the caller's
    /// closure ended up running in. (A closure given to
    /// `withTaskCancellationHandler` has been seen to run on a cooperative
    /// thread, two of which then blocked in `PQgetResult` for good.) Debug
    /// builds check the thread.
    @inline(never)
    private func onOwnThread<R>(_ token: CancelToken?, _ work: () -> R) async -> R {
        #if DEBUG
            precondition(thread.isCurrent, "pgfast: libpq work must run on the connection's own thread")
        #endif
        token?.begin()
        defer { token?.end() }
        return work()
    }

    /// Arms the cancel token for exactly this
    /// statement (a task cancelled meanwhile sends a cancel request for it and
    /// no other), and records the statement's duration: until `operation`'s
    /// `answered` instant when it gives one, else until it returns.
    /// `operation` must call the token's `begin()` before its first libpq call
    /// (or the caller before it sent the statement) and `end()`/`endAsync()`
    /// after its last. The caller checks for cancellation before it sends
    /// anything. `started`: when the statement was sent, for its duration.
    static func cancellable<R>(
        on connection: Connection, _ text: String, started: ContinuousClock.Instant = .now,
        isolation: isolated (any Actor)? = #isolation,
        _ operation: (CancelToken?) async -> (result: R, answered: ContinuousClock.Instant?)
    ) async -> R {
        #if DEBUG
            connection.ownership.beginStatement()
            defer { connection.ownership.endStatement() }
        #endif
        let token = connection.cancelToken
        let (result, answered) = await withTaskCancellationHandler {
            await operation(token)
        } onCancel: {
            token?.cancelInFlight()
        }
        connection.noteDuration(since: started, until: answered.map { max($0, started) }, text: text)
        return result
    }
}
