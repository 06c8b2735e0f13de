import CLibPQ
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sends a cancel request for the statement in flight, and only for it.
///
/// `PQcancel` opens a connection to the server and waits for it to close, so
/// it runs on a short-lived thread of its own: neither the task calling
/// `cancel()` nor any cooperative thread waits on the network. The statement's
/// end (``end()`` or ``endAsync()``) waits until that request has been
/// delivered, so a cancel can never land on the next statement, which may
/// belong to another task after the connection went back to the pool.
///
/// `@unchecked Sendable`: `PGcancel` is documented thread-safe; all state is under `state`.
final class CancelToken: @unchecked Sendable {
    private let cancel: OpaquePointer

    private struct State {
        var inFlight = false  // a statement runs
        var cancelling = false  // a cancel request is being delivered
        var waiter: UnsafeContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init?(connection: OpaquePointer) {
        guard let cancel = PQgetCancel(connection) else { return nil }
        self.cancel = cancel
    }

    deinit { PQfreeCancel(cancel) }

    func begin() { state.withLock { $0.inFlight = true } }

    /// Marks the statement finished, from the connection's own thread: waits
    /// (rarely, briefly) for a cancel request still being delivered.
    func end() {
        while !finish() { usleep(200) }
    }

    /// Marks the statement finished without blocking the calling thread.
    func endAsync() async {
        guard !finish() else { return }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.cancelling {
                    state.waiter = continuation
                    return false
                }
                state.inFlight = false
                return true
            }
            if done { continuation.resume() }
        }
    }

    private func finish() -> Bool {
        state.withLock { state in
            if state.cancelling { return false }
            state.inFlight = false
            return true
        }
    }

    /// Called from any thread by task cancellation; returns at once.
    func cancelInFlight() {
        let start = state.withLock { state -> Bool in
            guard state.inFlight, !state.cancelling else { return false }
            state.cancelling = true
            return true
        }
        guard start else { return }
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let token = Unmanaged<CancelToken>.fromOpaque(argument!).takeRetainedValue()
                token.deliver()
                return nil
            }, box)
        if result == 0 {
            pthread_detach(thread)
        } else {
            // No thread to spare: deliver it here.
            Unmanaged<CancelToken>.fromOpaque(box).release()
            deliver()
        }
    }

    private func deliver() {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.cancelling = false
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.inFlight = false
            return waiter
        }
        waiter?.resume()
    }
}
