import Logging
import PGFast
import Synchronization

/// Drops finished test databases off the tests' critical path.
///
/// A finished clone holds disk (RAM, for a cluster in `/dev/shm`) for nothing,
/// so it is dropped in the background at once, one drop at a time on one admin
/// connection (what the connection budget allows beside the creations). What is
/// still queued at the end of the run goes to ``Housekeeping``. `deferred`
/// holds that many back for the end of the run instead (0 by default).
final class DropQueue: Sendable {
    private struct State {
        var pending: [String] = []
        var running = false
        /// Someone waits for every drop to be done: drop them all, deferred ones too.
        var draining = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let admin: ConnectionPool
    private let logger: Logger
    private let deferred: Int
    private let state = Mutex(State())

    init(admin: ConnectionPool, logger: Logger, deferred: Int = 0) {
        self.admin = admin
        self.logger = logger
        self.deferred = deferred
    }

    func enqueue(_ name: String) {
        let start = state.withLock { state -> Bool in
            state.pending.append(name)
            return startIfNeeded(&state)
        }
        if start { Task { await self.run() } }
    }

    /// Takes the drops not started yet out of the queue, for ``Housekeeping`` to
    /// do after the process has exited; waits for the one being dropped now.
    func takePending() async -> [String] {
        let pending = state.withLock { state -> [String] in
            let pending = state.pending
            state.pending = []
            return pending
        }
        await drain()
        return pending
    }

    /// Drops everything queued, deferred drops included, and waits until it is done.
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (idle, start) = state.withLock { state -> (Bool, Bool) in
                if !state.running && state.pending.isEmpty { return (true, false) }
                state.drained.append(continuation)
                state.draining = true
                return (false, startIfNeeded(&state))
            }
            if idle { continuation.resume() }
            if start { Task { await self.run() } }
        }
    }

    private func startIfNeeded(_ state: inout State) -> Bool {
        guard !state.running, state.pending.count > (state.draining ? 0 : deferred) else { return false }
        state.running = true
        return true
    }

    private func run() async {
        let db = Database(pool: admin)
        while true {
            let next = state.withLock { state -> String? in
                if state.pending.count > (state.draining ? 0 : deferred) { return state.pending.removeFirst() }
                state.running = false
                if state.pending.isEmpty {
                    state.draining = false
                    let waiting = state.drained
                    state.drained = []
                    for continuation in waiting { continuation.resume() }
                }
                return nil
            }
            guard let name = next else { return }
            let started = ContinuousClock.now
            defer { RunTimings.shared.recordDrop(ContinuousClock.now - started) }
            do {
                try await db.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
            } catch {
                logger.warning("cannot drop test database", metadata: ["database": "\(name)", "error": "\(error)"])
            }
        }
    }
}
