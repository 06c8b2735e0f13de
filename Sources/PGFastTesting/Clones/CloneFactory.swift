import Foundation
import Logging
import PGFast

/// Makes clones of one template ahead of need, so a test usually finds one ready.
///
/// Clones come first from the stock an earlier run left (`pgfast_ready_…`,
/// claimed by an atomic rename, so two runs never take the same one), then
/// from `CREATE DATABASE … TEMPLATE`. It keeps as many ahead as tests took so
/// far, up to `prefetch`, so a template that one test uses costs one spare
/// clone, not eight and their connections. Creation is capped by the
/// `creations` semaphore across all templates (a clone is disk and CPU work on
/// the server); claims are renames and go ahead at once.
actor CloneFactory {
    let template: String
    let lineage: String
    let key: String
    private let environment: TestEnvironment.Shared
    private var ready: [ReadyClone] = []
    private var waiters: [CheckedContinuation<ReadyClone, any Error>] = []
    private var creating = 0
    private var claiming = 0
    /// An earlier run's ready clones not claimed yet; nil until listed (at the first take).
    private var stock: [String]?
    private var listing: Task<Void, Never>?
    /// Clones handed out so far: how many to keep ahead grows with it, and the next run's stock follows it.
    private(set) var taken = 0
    private var strategy: CloneStrategy?
    private var measured: [CloneStrategy: Duration] = [:]
    private var closed = false
    /// `close()` waiting for the creations and claims under way.
    private var quiet: [CheckedContinuation<Void, Never>] = []

    init(template: String, lineage: String, key: String, environment: TestEnvironment.Shared) {
        self.template = template
        self.lineage = lineage
        self.key = key
        self.environment = environment
        self.strategy = environment.settings.cloneStrategy
    }

    /// A clone, ready or as soon as one is made.
    func take() async throws -> ReadyClone {
        if stock == nil {
            // One listing, however many tests arrive while it runs.
            if listing == nil { listing = Task { await self.listStock() } }
            await listing?.value
        }
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

    /// The strategy in use (after measuring), for the statistics.
    var chosenStrategy: CloneStrategy? { strategy }

    private func refill() {
        guard !closed else { return }
        // An earlier run's stock says this template is in demand: claim a full prefetch of it at once.
        let ahead = stock?.isEmpty == false ? environment.settings.prefetch : min(environment.settings.prefetch, taken)
        let target = ahead + waiters.count
        while ready.count + creating + claiming < target {
            if let name = stock?.popLast() {
                claiming += 1
                Task { await self.claim(name) }
            } else if creating < environment.settings.creationConcurrency {
                creating += 1
                let strategy = nextStrategy()
                Task {
                    let outcome: Result<(ReadyClone, Duration), any Error>
                    do {
                        outcome = .success(try await self.create(strategy: strategy))
                    } catch {
                        outcome = .failure(error)
                    }
                    self.finishCreating(outcome, strategy: strategy)
                }
            } else {
                return
            }
        }
    }

    /// Until both strategies have been timed once, alternate; then keep FILE_COPY unless WAL_LOG was clearly faster.
    private func nextStrategy() -> CloneStrategy? {
        guard environment.serverVersion >= 150_000 else { return nil }
        if let strategy { return strategy }
        if measured[.fileCopy] == nil { return .fileCopy }
        if measured[.walLog] == nil { return .walLog }
        return strategy
    }

    /// The strategy to write into `CREATE DATABASE` for the next run's stock.
    var stockStrategy: CloneStrategy? {
        environment.serverVersion >= 150_000 ? (strategy ?? .fileCopy) : nil
    }

    private func create(strategy: CloneStrategy?) async throws -> (ReadyClone, Duration) {
        let name = environment.nextCloneName()
        let started = ContinuousClock.now
        try await environment.creations.withPermit {
            do {
                try await Database(pool: environment.admin).execute(
                    Self.createStatement(name: name, template: template, strategy: strategy))
            } catch {
                throw IsolatedDatabaseError(
                    code: .cloneFailed, message: "cannot clone \(template) into \(name)", underlying: error)
            }
        }
        let elapsed = ContinuousClock.now - started
        RunTimings.shared.recordCreate(elapsed)
        environment.clonesCreated.add(1, ordering: .relaxed)
        return (try await connect(name), elapsed)
    }

    static func createStatement(name: String, template: String, strategy: CloneStrategy?) -> SQL {
        var sql: SQL = "CREATE DATABASE \(identifier: name) TEMPLATE \(identifier: template)"
        if let strategy { sql.append(" STRATEGY \(unsafeRaw: strategy.description)") }
        return sql
    }

    private func connect(_ name: String) async throws -> ReadyClone {
        do {
            let started = ContinuousClock.now
            let pool = try await ConnectionPool(environment.cloneConfig(database: name), logger: environment.logger)
            RunTimings.shared.recordConnect(ContinuousClock.now - started)
            return ReadyClone(name: name, pool: pool)
        } catch {
            environment.drops.enqueue(name)
            throw error
        }
    }

    private func finishCreating(_ outcome: Result<(ReadyClone, Duration), any Error>, strategy: CloneStrategy?) {
        creating -= 1
        defer { notifyIfQuiet() }
        do {
            let (clone, elapsed) = try outcome.get()
            if self.strategy == nil, let strategy {
                measured[strategy] = elapsed
                if let fileCopy = measured[.fileCopy], let walLog = measured[.walLog] {
                    // One sample each is noisy: WAL_LOG must win clearly (it does on large templates).
                    self.strategy = walLog < fileCopy * 0.75 ? .walLog : .fileCopy
                    environment.logger.debug(
                        "clone strategy chosen",
                        metadata: ["strategy": "\(self.strategy!)", "file_copy": "\(fileCopy)", "wal_log": "\(walLog)"])
                }
            }
            deliver(clone)
        } catch {
            // Nobody waits for a prefetch; a waiting test gets the error.
            if !waiters.isEmpty { waiters.removeFirst().resume(throwing: error) }
            return
        }
        refill()
    }

    private func deliver(_ clone: ReadyClone) {
        if closed {
            ready.append(clone)  // close() hands it over with the other unused ones
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: clone)
        } else {
            ready.append(clone)
        }
    }

    private func notifyIfQuiet() {
        guard closed, creating + claiming == 0 else { return }
        for continuation in quiet { continuation.resume() }
        quiet = []
    }

    /// Lists the clones earlier runs left ready for this template.
    private func listStock() async {
        let prefix = DatabaseNames.readyPrefix(lineage: lineage, key: key)
        let names = try? await Database(pool: environment.admin).query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname::text, \(prefix)) ORDER BY datname DESC"
        ).decode(String.self)
        stock = stock ?? names ?? []
    }

    /// Takes a stock clone by renaming it to a clone of this run: atomic, so a
    /// clone another run took first just fails here, and the next is tried.
    private func claim(_ stockName: String) async {
        let name = environment.nextCloneName()
        var clone: ReadyClone?
        do {
            try await Database(pool: environment.admin).execute(
                "ALTER DATABASE \(identifier: stockName) RENAME TO \(identifier: name)")
            clone = try await connect(name)
        } catch {
            environment.logger.debug("stock clone taken by another run", metadata: ["database": "\(stockName)"])
        }
        claiming -= 1
        defer { notifyIfQuiet() }
        if let clone {
            environment.clonesClaimed.add(1, ordering: .relaxed)
            deliver(clone)
        }
        refill()
    }

    /// Stops making clones, waits for those under way, and returns the unused
    /// ones and how many stock clones nobody claimed: nothing is left half-made
    /// behind an exiting process.
    func close() async -> (unused: [ReadyClone], unclaimedStock: Int) {
        closed = true
        if creating + claiming > 0 {
            await withCheckedContinuation { quiet.append($0) }
        }
        let unused = ready
        ready = []
        let unclaimed = stock?.count ?? 0
        stock = []
        return (unused, unclaimed)
    }
}
