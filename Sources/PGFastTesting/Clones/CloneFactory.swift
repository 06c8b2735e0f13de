import Foundation
import Logging
import PGFast

/// Makes clones of one template ahead of need, so a test usually finds one ready.
///
/// It starts the moment its template is sealed (``start()``), before any test
/// asks: as many creates at once as the server has cores
/// (`PGFAST_CLONE_CONCURRENCY`), each clone connected while the next is made.
/// Clones come first from the stock an earlier run left (`pgfast_ready_…`,
/// claimed by an atomic rename, so two runs never take the same one), then
/// from `CREATE DATABASE … TEMPLATE`. It keeps as many ahead as tests took so
/// far (at least one per concurrent create, at most `prefetch`), so a template
/// that one test uses costs a spare clone or two, not eight and their
/// connections. Creation is capped by the `creations` semaphore across all
/// templates (a clone is disk and CPU work on the server); claims are renames
/// and go ahead at once.
///
/// A create that fails fails every test waiting at that moment (their clone
/// would come from the same template, on the same server); until a create
/// succeeds again, clones are made only for tests that ask, so a template that
/// went away costs one attempt per test, never a loop.
actor CloneFactory {
    let template: String
    let lineage: String
    let key: String
    private let environment: TestEnvironment.Shared
    private var ready: [ReadyClone] = []
    private var waiters: [CheckedContinuation<ReadyClone, any Error>] = []
    private var creating = 0
    private var claiming = 0
    /// The template's size: about what each clone holds, for the drop queue.
    private var templateBytes: Int64 = 0
    /// An earlier run's ready clones not claimed yet; nil until listed.
    private var stock: [String]?
    /// Lists the stock and reads the template's recorded strategy, once.
    private var preparing: Task<Void, Never>?
    /// Clones handed out so far: how many to keep ahead grows with it, and the next run's stock follows it.
    private(set) var taken = 0
    /// `PGFAST_CLONE_STRATEGY`, if set.
    private let override: CloneStrategy?
    /// How clones are made; nil while the first clones measure it.
    private(set) var choice: CloneStrategyChoice?
    private var sampler = CloneStrategySampler()
    /// Writing the measured choice into the template's comment; `close()` waits for it.
    private var recording: Task<Void, Never>?
    /// Whether FILE_COPY asks for `file_copy_method = clone` (PostgreSQL 18+, until the server refuses it).
    private var cloneFiles = false
    /// A create failed and none succeeded since: make clones only for tests that wait.
    private var failing = false
    private var closed = false
    /// `close()` waiting for the creations and claims under way.
    private var quiet: [CheckedContinuation<Void, Never>] = []

    init(
        template: String, lineage: String, key: String, environment: TestEnvironment.Shared,
        strategy: CloneStrategy?? = nil
    ) {
        self.template = template
        self.lineage = lineage
        self.key = key
        self.environment = environment
        self.override = strategy ?? environment.settings.cloneStrategy
    }

    /// Starts making clones now, ahead of the first test that asks.
    func start() async {
        await prepare()
        refill()
    }

    /// A clone, ready or as soon as one is made.
    func take() async throws -> ReadyClone {
        await prepare()
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

    /// The strategy in use (nil while measuring, or before PostgreSQL 15), for the statistics.
    var chosenStrategy: CloneStrategy? { choice?.strategy }

    /// The strategy to write into `CREATE DATABASE` for the next run's stock.
    var stockStrategy: CloneStrategy? {
        environment.serverVersion >= 150_000 ? (choice?.strategy ?? .fileCopy) : nil
    }

    /// What the statistics file says about this template's strategy.
    var strategyReport: (strategy: String?, source: String?, samples: String) {
        (choice?.strategy?.description, choice?.source.rawValue, sampler.summary)
    }

    // MARK: - Preparing

    private func prepare() async {
        if preparing == nil { preparing = Task { await self.readCatalog() } }
        await preparing?.value
    }

    /// One visit to the catalog: the earlier runs' stock, and the strategy recorded on the template.
    private func readCatalog() async {
        let db = Database(pool: environment.admin)
        let prefix = DatabaseNames.readyPrefix(lineage: lineage, key: key)
        async let names = try? db.query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname::text, \(prefix)) ORDER BY datname DESC"
        ).decode(String.self)
        async let size = try? db.value(
            "SELECT pg_database_size(datname)::int8 FROM pg_database WHERE datname = \(template)", as: Int?.self)
        let version = environment.serverVersion
        var recorded: TemplateNote.Strategy?
        if version >= 150_000, override == nil {
            recorded = TemplateNote.strategy(in: (try? await TemplateNote.read(template: template, on: db)) ?? nil)
        }
        let listed = await names
        templateBytes = Int64((await size ?? nil) ?? 0)
        stock = stock ?? listed ?? []
        let canClone = version >= 180_000
        if version < 150_000 {
            choice = CloneStrategyChoice(strategy: nil, cloneFiles: false, source: .serverDefault)
        } else if let override {
            choice = CloneStrategyChoice(
                strategy: override, cloneFiles: canClone && override == .fileCopy, source: .override)
        } else if let recorded {
            choice = CloneStrategyChoice(
                strategy: recorded.strategy, cloneFiles: canClone && recorded.cloneFiles, source: .recorded)
        }
        cloneFiles = choice?.cloneFiles ?? canClone
    }

    // MARK: - Making clones

    private func refill() {
        guard !closed, let stock else { return }
        let settings = environment.settings
        let ahead: Int
        if !stock.isEmpty {
            // An earlier run's stock says this template is in demand: claim a full prefetch of it at once.
            ahead = settings.prefetch
        } else if failing {
            ahead = 0
        } else {
            ahead = min(settings.prefetch, max(settings.creationConcurrency, taken))
        }
        let target = ahead + waiters.count
        while ready.count + creating + claiming < target {
            if let name = self.stock?.popLast() {
                claiming += 1
                Task { await self.claim(name) }
            } else if creating < settings.creationConcurrency {
                creating += 1
                let strategy = nextStrategy()
                let cloneFiles = cloneFiles && strategy == .fileCopy
                Task {
                    let outcome: Result<(ReadyClone, Duration), any Error>
                    do {
                        outcome = .success(try await self.create(strategy: strategy, cloneFiles: cloneFiles))
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

    /// The chosen strategy, or while measuring, the next sample's.
    private func nextStrategy() -> CloneStrategy? {
        if let choice { return choice.strategy }
        return sampler.next()
    }

    private func create(strategy: CloneStrategy?, cloneFiles: Bool) async throws -> (ReadyClone, Duration) {
        let name = environment.nextCloneName()
        let statement = Self.createStatement(name: name, template: template, strategy: strategy)
        let started = ContinuousClock.now
        try await environment.creations.withPermit {
            environment.drops.creationStarted()
            defer { environment.drops.creationEnded() }
            do {
                try await Database(pool: environment.admin).withConnection { db in
                    try await environment.lease.creating(name, on: db) {
                        if environment.serverVersion >= 180_000 {
                            try await createCopyingFiles(statement, clone: cloneFiles, on: db)
                        } else {
                            try await db.execute(statement)
                        }
                    }
                }
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

    /// PostgreSQL 18+: FILE_COPY by cloning files (`file_copy_method = clone`) where the server
    /// and its file system allow it; a refusal turns cloning off for the rest of the run.
    private func createCopyingFiles(_ statement: SQL, clone: Bool, on db: Database) async throws {
        if clone {
            do {
                try await db.execute("SET file_copy_method = clone")
                try await db.execute(statement)
                return
            } catch {
                environment.logger.debug(
                    "file_copy_method = clone refused; copying", metadata: ["error": "\(error)"])
                stopCloningFiles()
            }
        }
        try await db.execute("SET file_copy_method = copy")
        try await db.execute(statement)
    }

    private func stopCloningFiles() {
        cloneFiles = false
        choice?.cloneFiles = false
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
            return ReadyClone(name: name, pool: pool, bytes: templateBytes)
        } catch {
            environment.drops.enqueue(name)
            throw error
        }
    }

    private func finishCreating(_ outcome: Result<(ReadyClone, Duration), any Error>, strategy: CloneStrategy?) {
        creating -= 1
        defer { notifyIfQuiet() }
        if choice == nil, let strategy {
            let elapsed = try? outcome.get().1
            if sampler.finished(strategy, elapsed: elapsed), let decision = sampler.decision {
                decide(decision)
            }
        }
        switch outcome {
        case .success(let (clone, _)):
            failing = false
            deliver(clone)
            refill()
        case .failure(let error):
            // Every test waiting now gets the error; a later test tries again.
            failing = true
            let waiting = waiters
            waiters = []
            for continuation in waiting { continuation.resume(throwing: error) }
            environment.logger.debug("cannot make a clone", metadata: ["template": "\(template)", "error": "\(error)"])
        }
    }

    /// Keeps the measured strategy and records it on the template for later runs (off the tests' path).
    private func decide(_ strategy: CloneStrategy) {
        let made = CloneStrategyChoice(strategy: strategy, cloneFiles: cloneFiles, source: .measured)
        choice = made
        let samples = sampler.summary
        environment.logger.debug(
            "clone strategy chosen",
            metadata: ["template": "\(template)", "strategy": "\(strategy)", "samples": "\(samples)"])
        let (template, admin, logger) = (template, environment.admin, environment.logger)
        recording = Task {
            do {
                try await TemplateNote.record(
                    made.note, samples: samples, template: template, on: Database(pool: admin))
            } catch {
                logger.debug(
                    "cannot record the clone strategy", metadata: ["template": "\(template)", "error": "\(error)"])
            }
        }
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

    /// Takes a stock clone by renaming it to a clone of this run: atomic, so a
    /// clone another run took first just fails here, and the next is tried.
    private func claim(_ stockName: String) async {
        let name = environment.nextCloneName()
        var clone: ReadyClone?
        do {
            try await Database(pool: environment.admin).withConnection { db in
                try await environment.lease.creating(name, on: db) {
                    try await db.execute("ALTER DATABASE \(identifier: stockName) RENAME TO \(identifier: name)")
                }
            }
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
        await recording?.value
        let unused = ready
        ready = []
        let unclaimed = stock?.count ?? 0
        stock = []
        return (unused, unclaimed)
    }
}
