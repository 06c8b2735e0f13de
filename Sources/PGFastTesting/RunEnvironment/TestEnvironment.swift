import Dispatch
import Foundation
import Logging
import PGFast
import Synchronization

/// The process-wide state behind isolated databases: the server, an admin
/// pool, this run's owner lease, the templates, one clone factory per
/// template, the connection budget and the drop queue.
actor TestEnvironment {
    static let current = TestEnvironment()

    /// What every part needs, fixed once the environment is up.
    final class Shared: Sendable {
        let server: TestServer
        let admin: ConnectionPool
        let lease: OwnerLease
        let settings: TestSettings
        let logger: Logger
        let serverVersion: Int
        /// The connected role when it is not a superuser: its templates are its own (``RecipeCache/make(_:serverVersion:role:)``).
        let templateRole: String?
        /// Bytes of ready stock per lineage (``StockBudget``), also the room for a lineage's older templates.
        let stockBudget: Int64
        /// Isolated databases held at once by this process: its share of `max_connections`.
        let slots: AsyncSemaphore
        let slotCount: Int
        /// Clones being created at once, across templates.
        let creations: AsyncSemaphore
        let drops: DropQueue
        /// Clones this process created (not taken from an earlier run's stock), for the statistics.
        let clonesCreated = Atomic<Int>(0)
        /// Clones this process took from an earlier run's stock.
        let clonesClaimed = Atomic<Int>(0)
        /// Stock clones this process asked to have made for the next run.
        let stockQueued = Atomic<Int>(0)
        private let sequence = Atomic<Int>(0)

        init(
            server: TestServer, admin: ConnectionPool, lease: OwnerLease, settings: TestSettings, logger: Logger,
            serverVersion: Int, slotCount: Int, stockBudget: Int64, templateRole: String?
        ) {
            self.templateRole = templateRole
            self.stockBudget = stockBudget
            self.server = server
            self.admin = admin
            self.lease = lease
            self.settings = settings
            self.logger = logger
            self.serverVersion = serverVersion
            self.slotCount = slotCount
            slots = AsyncSemaphore(permits: slotCount)
            creations = AsyncSemaphore(permits: settings.creationConcurrency)
            // Finished clones up to the stock budget wait while clones are being made (``DropQueue``).
            drops = DropQueue(admin: admin, logger: logger, holdBytes: stockBudget)
        }

        var owner: OwnerID { lease.owner }

        func nextCloneName() -> String {
            DatabaseNames.clone(owner: owner, sequence: sequence.add(1, ordering: .relaxed).newValue)
        }

        /// A unique id for a stock clone's name: this run's owner and a sequence number.
        func stockID() -> String {
            owner.hex + String(sequence.add(1, ordering: .relaxed).newValue)
        }

        func keptName() -> String {
            DatabaseNames.kept(owner: owner, sequence: sequence.add(1, ordering: .relaxed).newValue)
        }

        func cloneConfig(database name: String) -> DatabaseConfig {
            var config = server.config(database: name)
            config.minConnections = 1
            config.maxConnections = settings.testConnections
            config.acquireTimeout = .seconds(60)
            config.idleTimeout = nil
            config.maxLifetime = nil
            return config
        }
    }

    private var setup: Task<Shared, any Error>?
    private var store: TemplateStore?
    private var factories: [String: CloneFactory] = [:]
    private var sharedTransactionClones: [String: Task<ReadyClone, any Error>] = [:]
    /// Drops what dead runs left; awaited at exit so a short run still finishes it.
    private var sweep: Task<Void, Never>?
    let logger = PGFastLog.logger(label: "pgfast.testing")

    /// Brings the environment up once per process.
    func shared() async throws -> Shared {
        if let setup { return try await setup.value }
        RunTimings.shared.environmentStarting()
        let task = Task { try await Self.start(logger: logger) }
        setup = task
        do {
            let shared = try await task.value
            // No suspension from here to the end: other callers wait on `setup`, then use `store`.
            RunTimings.shared.environmentReady()
            store = TemplateStore(
                server: shared.server, admin: shared.admin, logger: logger, forceRebuild: shared.settings.forceRebuild,
                keep: shared.settings.templatesKept, budget: shared.stockBudget)
            ExitHook.install()
            let logger = self.logger
            sweep = Task { await Sweeper(shared: shared).sweep(logger: logger) }
            return shared
        } catch {
            // A later test may retry (the server may come up); this one reports the error.
            setup = nil
            throw error
        }
    }

    private static func start(logger: Logger) async throws -> Shared {
        let settings = try TestSettings(environment: ProcessInfo.processInfo.environment)
        let server = try await TestServer.resolve(logger: logger)
        var adminConfig = server.admin
        adminConfig.minConnections = 1
        // Creations, plus room for claims (renames), drops, the sweep and template checks beside them.
        adminConfig.maxConnections = settings.creationConcurrency + 4
        adminConfig.acquireTimeout = .seconds(120)
        adminConfig.applicationName = "pgfast admin pid \(getpid())"
        // PGFast's own statements say nothing (`DROP DATABASE IF EXISTS` of one already gone).
        adminConfig.serverSettings["client_min_messages"] = "warning"
        let admin = try await ConnectionPool(adminConfig, logger: logger)
        let lease = try await OwnerLease.acquire(server: server, logger: logger)
        let db = Database(pool: admin)
        let (maxConnections, reserved, version, role, superuser) = try await db.query(
            """
            SELECT current_setting('max_connections')::int8, current_setting('superuser_reserved_connections')::int8,
                   current_setting('server_version_num')::int8, current_user::text,
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            """
        ).decode((Int, Int, Int, String, Bool).self)[0]
        // Leave room for a second process (two `swift test` at once, CI shards) and for admin work.
        let budget = settings.maxConnections ?? max(8, (maxConnections - reserved - 10) / 2)
        let perTest = settings.testConnections
        // More tests at once than the machine has cores for only adds contention: the server runs on the
        // same cores. Two per core kept the clone factory ahead of the tests here (wait ~0 ms) at the same
        // throughput as four (Benchmarks/README.md).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let slotCount =
            settings.maxDatabases
            ?? max(1, min((budget - adminConfig.maxConnections - settings.prefetch - 1) / perTest, max(4, 2 * cores)))
        logger.debug(
            "isolated databases ready", metadata: ["owner": "\(lease.owner)", "slots": "\(slotCount)"])
        return Shared(
            server: server, admin: admin, lease: lease, settings: settings, logger: logger, serverVersion: version,
            slotCount: slotCount, stockBudget: await StockBudget.bytes(settings: settings, server: server, on: db),
            templateRole: superuser ? nil : role)
    }

    /// The sealed template for `recipe`, built if needed.
    func template(for recipe: TemplateRecipe) async throws -> String {
        _ = try await shared()
        return try await store!.template(for: recipe)
    }

    /// Templates built by this process, in order.
    func builtTemplates() async -> [String] { await store?.builds ?? [] }

    /// The clone factory of a template.
    func factory(for recipe: TemplateRecipe) async throws -> CloneFactory {
        let shared = try await shared()
        let name = try await template(for: recipe)
        if let factory = factories[name] { return factory }
        let factory = CloneFactory(template: name, lineage: recipe.lineage, key: recipe.key, environment: shared)
        factories[name] = factory
        // From the moment the template is sealed: clones are made before the tests ask.
        Task { await factory.start() }
        return factory
    }

    /// The one clone that transaction-mode tests of a template share in this process.
    func sharedTransactionClone(for recipe: TemplateRecipe) async throws -> ReadyClone {
        let factory = try await factory(for: recipe)
        if let task = sharedTransactionClones[factory.template] { return try await task.value }
        let task = Task { try await factory.take() }
        sharedTransactionClones[factory.template] = task
        return try await task.value
    }

    /// At exit: finished clones are dropped; unused clones become the next
    /// run's ready stock as far as the lineage's byte budget (``StockBudget``)
    /// allows; the stock is trimmed to the budget and topped up to what this run
    /// used. The drops, trims and top-ups are ``Housekeeping``'s, after the
    /// process has gone, in that order.
    func shutdown() async {
        guard let setup, let shared = try? await setup.value else { return }
        RunTimings.shared.shutdownStarting()
        await sweep?.value
        let admin = Database(pool: shared.admin)
        // Measured again: free space changes during a run.
        let budget = await StockBudget.bytes(settings: shared.settings, server: shared.server, on: admin)
        var stockSteps: [Housekeeping.Step] = []
        var queued = 0
        for factory in factories.values {
            let (unused, _) = await factory.close()
            for clone in unused { await clone.pool.close() }
            let wanted = min(await factory.taken, shared.settings.stock)
            let kept = await keepAsStock(unused, of: factory, wanted: wanted, budget: budget, shared: shared)
            queued += max(0, wanted - kept)
            stockSteps += [
                .statement(StockBudget.lock(lineage: factory.lineage)),
                StockBudget.trim(lineage: factory.lineage, key: factory.key, budget: budget),
                StockBudget.topUp(
                    lineage: factory.lineage, key: factory.key, template: factory.template,
                    strategy: await factory.stockStrategy, wanted: wanted, idPrefix: shared.owner.hex + "h",
                    budget: budget),
                .statement(StockBudget.unlock(lineage: factory.lineage)),
            ]
        }
        for task in sharedTransactionClones.values {
            if let clone = try? await task.value {
                await clone.pool.close()
                shared.drops.enqueue(clone.name)
            }
        }
        let drops = await shared.drops.takePending().map { name -> Housekeeping.Step in
            .statement("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
        }
        shared.stockQueued.store(queued, ordering: .relaxed)
        shared.lease.stopBeating()
        await Housekeeping(server: shared.server, admin: shared.admin, logger: logger)
            .run(drops + stockSteps, holding: shared.owner)
        RunTimings.shared.shutdownEnded()
        if let path = shared.settings.statisticsFile {
            await writeStatistics(to: path, shared: shared)
        }
    }

    /// Renames unused clones to ready stock while the lineage's stock stays within
    /// `budget` and `wanted`, under the lineage's stock lock; drops the rest. Returns how many were kept.
    private func keepAsStock(
        _ unused: [ReadyClone], of factory: CloneFactory, wanted: Int, budget: Int64, shared: Shared
    ) async -> Int {
        guard !unused.isEmpty else { return 0 }
        var kept = 0
        var handled = 0
        do {
            try await Database(pool: shared.admin).withConnection { db in
                try await db.execute(StockBudget.lock(lineage: factory.lineage))
                do {
                    var (bytes, current) = try await StockBudget.usage(
                        lineage: factory.lineage, key: factory.key, on: db)
                    for clone in unused {
                        handled += 1
                        let size = Int64(
                            try await db.value("SELECT pg_database_size(\(clone.name))::int8", as: Int?.self) ?? 0)
                        guard current < wanted, bytes + size <= budget else {
                            shared.drops.enqueue(clone.name)
                            continue
                        }
                        let stock = DatabaseNames.ready(
                            lineage: factory.lineage, key: factory.key, id: shared.stockID())
                        do {
                            try await db.execute(
                                "ALTER DATABASE \(identifier: clone.name) RENAME TO \(identifier: stock)")
                            // Its heartbeat is this run's: the run that claims it must not inherit a stale one.
                            _ = try? await db.execute(SQL(unsafeRaw: "COMMENT ON DATABASE \"\(stock)\" IS NULL"))
                            bytes += size
                            current += 1
                            kept += 1
                        } catch {
                            shared.drops.enqueue(clone.name)
                        }
                    }
                } catch {
                    _ = try? await db.execute(StockBudget.unlock(lineage: factory.lineage))
                    throw error
                }
                try await db.execute(StockBudget.unlock(lineage: factory.lineage))
            }
        } catch {
            logger.debug("cannot keep unused clones as stock", metadata: ["error": "\(error)"])
            // The one being looked at when it failed may or may not have been renamed: drop it if it was not.
            for clone in unused.dropFirst(max(0, handled - 1)) { shared.drops.enqueue(clone.name) }
        }
        return kept
    }

    /// What `PGFAST_STATISTICS_FILE` receives: how long tests waited for a database,
    /// which templates this run had to build, how many clones it made.
    private func writeStatistics(to path: String, shared: Shared) async {
        struct StrategyChoice: Encodable {
            var template: String
            var strategy: String?
            var source: String?
            var samples: String
        }
        struct Statistics: Encodable {
            var waitsMilliseconds: [Double]
            var medianWaitMilliseconds: Double?
            var templatesBuilt: [String]
            var clonesCreated: Int
            var clonesClaimedFromStock: Int
            var stockQueuedForNextRun: Int
            var cloneStrategies: [String]
            /// Per template: the strategy, where it came from (measured, recorded, override), the samples.
            var cloneStrategyChoices: [StrategyChoice]
            /// Where the run's time went (offsets from the process's start): see ``RunTimings``.
            var phases: RunTimings.Summary
        }
        let waits = WaitStatistics.shared.all.map(\.inMilliseconds).sorted()
        var strategies: [String] = []
        var choices: [StrategyChoice] = []
        for factory in factories.values {
            if let strategy = await factory.chosenStrategy { strategies.append(strategy.description) }
            let report = await factory.strategyReport
            choices.append(
                StrategyChoice(
                    template: factory.template, strategy: report.strategy, source: report.source,
                    samples: report.samples))
        }
        let statistics = Statistics(
            waitsMilliseconds: waits, medianWaitMilliseconds: waits.isEmpty ? nil : waits[waits.count / 2],
            templatesBuilt: await builtTemplates(), clonesCreated: shared.clonesCreated.load(ordering: .relaxed),
            clonesClaimedFromStock: shared.clonesClaimed.load(ordering: .relaxed),
            stockQueuedForNextRun: shared.stockQueued.load(ordering: .relaxed),
            cloneStrategies: strategies.sorted(), cloneStrategyChoices: choices.sorted { $0.template < $1.template },
            phases: RunTimings.shared.summary)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(statistics).write(to: URL(fileURLWithPath: path))
        } catch {
            logger.warning("cannot write PGFAST_STATISTICS_FILE", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}

/// Runs ``TestEnvironment/shutdown()`` when the test process exits.
enum ExitHook {
    private static let installed = Atomic<Bool>(false)

    static func install() {
        guard !installed.exchange(true, ordering: .relaxed) else { return }
        atexit {
            let done = DispatchSemaphore(value: 0)
            Task.detached {
                await TestEnvironment.current.shutdown()
                done.signal()
            }
            _ = done.wait(timeout: .now() + 20)
        }
    }
}
