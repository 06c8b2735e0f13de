import Logging
import PGFast
import Synchronization

/// Drops finished test databases off the tests' critical path.
///
/// A finished clone holds disk (RAM, for a cluster in `/dev/shm`) for nothing,
/// so it is dropped in the background, one drop at a time on one admin
/// connection (what the connection budget allows beside the creations). What is
/// still queued at the end of the run goes to ``Housekeeping``.
///
/// A drop costs the server about as much as half a clone (unlinking hundreds of
/// files), and while clones are being made the tests are waiting for the server:
/// so while a creation runs, drops wait, unless the finished clones queued hold
/// more than `holdBytes` (the stock budget: what the run may leave anyway).
/// Once no clone is being made, the queue drops at once. `deferred` holds that
/// many back for the end of the run (0 by default; for tests).
final class DropQueue: Sendable {
    private struct State {
        var pending: [(name: String, bytes: Int64)] = []
        var pendingBytes: Int64 = 0
        /// Clone creations running now (``creationStarted()``).
        var creating = 0
        var running = false
        /// Someone waits for every drop to be done: drop them all, deferred ones too.
        var draining = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let admin: ConnectionPool
    private let logger: Logger
    private let deferred: Int
    private let holdBytes: Int64
    private let state = Mutex(State())

    init(admin: ConnectionPool, logger: Logger, deferred: Int = 0, holdBytes: Int64 = 0) {
        self.admin = admin
        self.logger = logger
        self.deferred = deferred
        self.holdBytes = holdBytes
    }

    /// Queues `name` for dropping; `bytes`: about how much it holds (its template's size).
    func enqueue(_ name: String, bytes: Int64 = 0) {
        let start = state.withLock { state -> Bool in
            state.pending.append((name, bytes))
            state.pendingBytes += bytes
            return startIfNeeded(&state)
        }
        if start { Task { await self.run() } }
    }

    /// A clone creation starts: drops yield to it while what they would free fits in `holdBytes`.
    func creationStarted() {
        state.withLock { $0.creating += 1 }
    }

    /// A clone creation ended: with none left, the queued drops start.
    func creationEnded() {
        let start = state.withLock { state -> Bool in
            state.creating -= 1
            return startIfNeeded(&state)
        }
        if start { Task { await self.run() } }
    }

    /// Takes the drops not started yet out of the queue, for ``Housekeeping`` to
    /// do after the process has exited; waits for the one being dropped now.
    func takePending() async -> [String] {
        let pending = state.withLock { state -> [String] in
            let pending = state.pending.map(\.name)
            state.pending = []
            state.pendingBytes = 0
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
        guard !state.running, mayDrop(state) else { return false }
        state.running = true
        return true
    }

    /// Whether the next queued drop may start now.
    private func mayDrop(_ state: State) -> Bool {
        if state.draining { return !state.pending.isEmpty }
        guard state.pending.count > deferred else { return false }
        return state.creating == 0 || state.pendingBytes > holdBytes
    }

    private func run() async {
        let db = Database(pool: admin)
        while true {
            let next = state.withLock { state -> String? in
                if mayDrop(state) {
                    let next = state.pending.removeFirst()
                    state.pendingBytes -= next.bytes
                    return next.name
                }
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
