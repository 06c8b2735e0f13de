import CLibPQ
import Synchronization

/// Sends a cancel request for the statement in flight, and only for it.
///
/// The lock is held while `PQcancel` talks to the server, and the connection's
/// thread takes it to mark the statement finished: so a cancel can never land
/// on the next statement, which may belong to another task after the
/// connection went back to the pool.
///
/// `@unchecked Sendable`: `PGcancel` is documented thread-safe; all state is under `lock`.
final class CancelToken: @unchecked Sendable {
    private let cancel: OpaquePointer
    private let lock = Mutex(false)  // a statement is in flight

    init?(connection: OpaquePointer) {
        guard let cancel = PQgetCancel(connection) else { return nil }
        self.cancel = cancel
    }

    deinit { PQfreeCancel(cancel) }

    func begin() { lock.withLock { $0 = true } }
    func end() { lock.withLock { $0 = false } }

    /// Called from any thread by task cancellation.
    func cancelInFlight() {
        lock.withLock { inFlight in
            guard inFlight else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &buffer, Int32(buffer.count))
        }
    }
}
