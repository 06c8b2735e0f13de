import Foundation
import Logging
import PGFast

/// Makes clones of one template ahead of need, so a test usually finds one ready.
///
/// Keeps clones created and connected in the background: as many ahead as
/// tests took so far, up to `prefetch`, so a template that one test uses costs
/// one spare clone, not eight and their connections. It creates at most
/// `creations` permits' worth at once across all templates (a clone is disk
/// and CPU work on the server). Clones left unused when the process
/// ends are renamed `pgfast_ready_…` and taken first by the next run.
actor CloneFactory {
    let template: String
    private let lineage: String
    private let key: String
    private let environment: TestEnvironment.Shared
    private var ready: [ReadyClone] = []
    private var waiters: [CheckedContinuation<ReadyClone, any Error>] = []
    private var inFlight = 0
    /// Clones handed out so far: how many to keep ahead grows with it.
    private var taken = 0
    private var stockChecked = false
    private var strategy: CloneStrategy?
    private var measured: [CloneStrategy: Duration] = [:]
    private var lastError: (any Error)?
    private var closed = false

    init(template: String, lineage: String, key: String, environment: TestEnvironment.Shared) {
        self.template = template
        self.lineage = lineage
        self.key = key
        self.environment = environment
        self.strategy = environment.settings.cloneStrategy
    }

    /// A clone, ready or as soon as one is made.
    func take() async throws -> ReadyClone {
        if !stockChecked { await claimStock() }
        taken += 1
        if let clone = ready.popLast() {
            refill()
            return clone
        }
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append(continuation)
            refill()
        }
    }

    /// The strategy in use (after measuring), for the benchmark and `test-db list`.
    var chosenStrategy: CloneStrategy? { strategy }

    private func refill() {
        guard !closed else { return }
        let target = min(environment.settings.prefetch, taken) + waiters.count
        while inFlight < environment.settings.creationConcurrency, ready.count + inFlight < target {
            inFlight += 1
            let strategy = nextStrategy()
            Task {
                let outcome: Result<(ReadyClone, Duration), any Error>
                do {
                    outcome = .success(try await self.create(strategy: strategy))
                } catch {
                    outcome = .failure(error)
                }
                await self.finish(outcome, strategy: strategy)
            }
        }
    }

    /// Until both strategies have been timed once, alternate; then keep the faster.
    private func nextStrategy() -> CloneStrategy? {
        guard environment.serverVersion >= 150_000 else { return nil }
        if let strategy { return strategy }
        if measured[.fileCopy] == nil { return .fileCopy }
        if measured[.walLog] == nil { return .walLog }
        return strategy
    }

    private func create(strategy: CloneStrategy?) async throws -> (ReadyClone, Duration) {
        let name = environment.nextCloneName()
        let started = ContinuousClock.now
        try await environment.creations.withPermit {
            var sql: SQL = "CREATE DATABASE \(identifier: name) TEMPLATE \(identifier: template)"
            if let strategy { sql.append(" STRATEGY \(unsafeRaw: strategy.description)") }
            do {
                try await Database(pool: environment.admin).execute(sql)
            } catch {
                throw IsolatedDatabaseError(
                    code: .cloneFailed, message: "cannot clone \(template) into \(name)", underlying: error)
            }
        }
        let elapsed = ContinuousClock.now - started
        environment.clonesCreated.add(1, ordering: .relaxed)
        return (try await connect(name), elapsed)
    }

    private func connect(_ name: String) async throws -> ReadyClone {
        do {
            let pool = try await ConnectionPool(environment.cloneConfig(database: name), logger: environment.logger)
            return ReadyClone(name: name, pool: pool)
        } catch {
            environment.drops.enqueue(name)
            throw error
        }
    }

    private func finish(_ outcome: Result<(ReadyClone, Duration), any Error>, strategy: CloneStrategy?) {
        inFlight -= 1
        do {
            let (clone, elapsed) = try outcome.get()
            if self.strategy == nil, let strategy {
                measured[strategy] = elapsed
                if let fileCopy = measured[.fileCopy], let walLog = measured[.walLog] {
                    self.strategy = fileCopy <= walLog ? .fileCopy : .walLog
                    environment.logger.debug(
                        "clone strategy chosen",
                        metadata: ["strategy": "\(self.strategy!)", "file_copy": "\(fileCopy)", "wal_log": "\(walLog)"])
                }
            }
            deliver(clone)
        } catch {
            lastError = error
            // Nobody waits for a prefetch; a waiting test gets the error.
            if !waiters.isEmpty { waiters.removeFirst().resume(throwing: error) }
            return
        }
        refill()
    }

    private func deliver(_ clone: ReadyClone) {
        if closed {
            Task { await self.environment.retire(clone) }
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: clone)
        } else {
            ready.append(clone)
        }
    }

    /// Takes the clones an earlier run left ready for this template (rename is atomic: two runs never take the same one).
    private func claimStock() async {
        stockChecked = true
        let prefix = DatabaseNames.readyPrefix(lineage: lineage, key: key)
        let admin = Database(pool: environment.admin)
        guard
            let names = try? await admin.query(
                "SELECT datname::text FROM pg_database WHERE starts_with(datname::text, \(prefix)) ORDER BY datname"
            ).decode(String.self)
        else { return }
        for stock in names.prefix(environment.settings.prefetch + 16) {
            let name = environment.nextCloneName()
            do {
                try await admin.execute("ALTER DATABASE \(identifier: stock) RENAME TO \(identifier: name)")
            } catch {
                continue  // another run took it
            }
            if let clone = try? await connect(name) { ready.append(clone) }
        }
    }

    /// Stops making clones; returns the unused ones.
    func close() -> [ReadyClone] {
        closed = true
        let unused = ready
        ready = []
        return unused
    }
}
