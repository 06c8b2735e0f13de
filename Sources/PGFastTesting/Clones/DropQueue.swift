import Logging
import PGFast
import Synchronization

/// Drops finished test databases in the background, off the tests' critical path.
///
/// `drain()` waits until everything queued is gone; the process does that
/// before it exits, so a passing run leaves nothing behind.
final class DropQueue: Sendable {
    private struct State {
        var pending: [String] = []
        var running = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let admin: ConnectionPool
    private let logger: Logger
    private let state = Mutex(State())

    init(admin: ConnectionPool, logger: Logger) {
        self.admin = admin
        self.logger = logger
    }

    func enqueue(_ name: String) {
        let start = state.withLock { state -> Bool in
            state.pending.append(name)
            if state.running { return false }
            state.running = true
            return true
        }
        if start { Task { await self.run() } }
    }

    /// Takes the drops not started yet out of the queue, for ``Housekeeping`` to
    /// finish after the process has exited; waits for the one being dropped now.
    func takePending() async -> [String] {
        let pending = state.withLock { state -> [String] in
            let pending = state.pending
            state.pending = []
            return pending
        }
        await drain()
        return pending
    }

    /// Waits until every queued drop is done.
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if !state.running && state.pending.isEmpty { return true }
                state.drained.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func run() async {
        let db = Database(pool: admin)
        while true {
            let next = state.withLock { state -> String? in
                if state.pending.isEmpty {
                    state.running = false
                    let waiting = state.drained
                    state.drained = []
                    waiting.forEach { $0.resume() }
                    return nil
                }
                return state.pending.removeFirst()
            }
            guard let name = next else { return }
            do {
                try await db.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
            } catch {
                logger.warning("cannot drop test database", metadata: ["database": "\(name)", "error": "\(error)"])
            }
        }
    }
}
