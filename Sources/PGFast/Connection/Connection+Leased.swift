import CLibPQ

#if os(Linux)
    extension Connection {
        /// Runs one statement for the task that holds this connection (leased from
        /// the pool), on that task's own thread: the statement is sent with
        /// non-blocking libpq calls and the answer awaited through
        /// ``SocketReactor``, so no thread of the cooperative pool ever blocks
        /// and no hop to the connection's thread is needed.
        ///
        /// The ownership rule this relies on: libpq's `PGconn` is not
        /// thread-safe, and here it is used outside the connection actor's
        /// isolation. That is sound only while the calling task holds the
        /// connection, lent to it by the pool (``ConnectionPool/acquire()``
        /// until ``ConnectionPool/release(_:)``), and runs one statement at a
        /// time on it: then no other code touches the handle, and the pool's
        /// lock orders this task's libpq calls after the previous holder's and
        /// before the next one's (the same goes for `reactorRegistered` and the
        /// pool's idle check). ``Database`` is the only caller, between its
        /// own acquire and release. Debug builds check both halves of the rule
        /// (``ConnectionOwnership``). Anything unusual (libpq refusing to send,
        /// a COPY) goes the ordinary way, on the connection's thread.
        nonisolated func runLeased(_ sql: SQL, file: String, line: Int) async throws -> Rows {
            #if DEBUG
                precondition(ownership.isLent, "pgfast: runLeased on a connection the pool has not lent")
            #endif
            try sql.throwIfUnencodable(file: file, line: line)
            guard let handle else {
                throw PostgresError(code: .connectionClosed, message: "the connection is closed")
            }
            try Task.checkCancellation()
            let text = sql.text
            let binds = sql.binds
            let socket = PQsocket(handle)
            guard socket >= 0, PQisBusy(handle) == 0, PQsetnonblocking(handle, 1) == 0 else {
                return try await run(text, binds: binds, file: file, line: line)
            }
            // Armed before the send, so a task cancelled from now on sends a cancel request for
            // this statement (armed after it, a cancel in between was lost and the statement ran
            // to its end); timed from the send, not from when this task runs again.
            let token = cancelToken
            let sent = ContinuousClock.now
            token?.begin()
            guard Connection.sendQuery(handle, text, binds) == 1 else {
                await token?.endAsync()
                PQsetnonblocking(handle, 0)
                if PQstatus(handle) == CONNECTION_OK {
                    // For example a result nobody collected: the blocking path clears it first.
                    return try await run(text, binds: binds, file: file, line: line)
                }
                var error = connectionError(handle, code: .connectionClosed)
                error.query = text
                throw error
            }
            var registered = reactorRegistered
            let result = await Self.cancellable(on: self, text, started: sent) { token in
                var answered = ContinuousClock.now
                let result = await Self.collect(handle, socket: socket, registered: &registered, answered: &answered)
                // Waits (without blocking a thread) for a cancel request still on its way.
                await token?.endAsync()
                // The statement's time is until its answer came, not until this task ran again.
                return (result, answered)
            }
            reactorRegistered = registered
            PQsetnonblocking(handle, 0)
            if let result {
                switch PQresultStatus(result) {
                case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                    // Leaving COPY mode blocks: done on the connection's thread.
                    PQclear(result)
                    throw await leaveCopyMode(text: text)
                default: break
                }
            }
            return try Rows(
                result: QueryResult(
                    taking: check(result, handle: handle, text: text, binds: binds, file: file, line: line)))
        }

        /// Flushes what libpq has to send, then gathers the statement's results
        /// as `PQexec` does (the last one, stopping at COPY or a broken
        /// connection), suspending on the reactor whenever libpq would block.
        private static func collect(
            _ handle: OpaquePointer, socket: Int32, registered: inout Bool, answered: inout ContinuousClock.Instant
        ) async -> OpaquePointer? {
            // Whether libpq may have read from the socket, leaving data with no edge to come.
            var libpqRead = false
            while true {
                let flushed = PQflush(handle)
                if flushed == 0 { break }
                if flushed < 0 { return PQgetResult(handle) }
                libpqRead = true  // a partial send reads what the server has to say
                await SocketReactor.shared.wait(for: socket, writable: true, recheck: true, registered: &registered)
                if PQconsumeInput(handle) == 0 { break }
            }
            var last: OpaquePointer?
            while true {
                while PQisBusy(handle) != 0 {
                    answered = await SocketReactor.shared.wait(for: socket, recheck: libpqRead, registered: &registered)
                    libpqRead = true
                    // On failure libpq marks the connection bad and PQgetResult reports it.
                    if PQconsumeInput(handle) == 0 { break }
                }
                guard let result = PQgetResult(handle), Connection.keep(result, as: &last, handle: handle) else {
                    break
                }
            }
            return last
        }
    }
#endif
