import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// Ceilings in bytes: what runs leave on the server (templates aside) stays within one budget per lineage,
/// shared by every process.
@Suite(.enabled(if: ChildProcess.isSupported), .serialized)
struct StockBudgetTests {
    static let budget: Int64 = 200 << 20  // about three clones of the 60 MB fixture

    /// What the runs of `owners` left of the big fixture's lineage: its stock, their clones and kept databases.
    private func leftBytes(lineage: String, owners: [OwnerID]) async throws -> (bytes: Int64, stock: Int) {
        var patterns = ["pgfast_ready_\(lineage)_"]
        for owner in owners { patterns += ["pgfast_t_\(owner.hex)_", "pgfast_kept_\(owner.hex)_"] }
        var bytes: Int64 = 0
        var stock = 0
        for pattern in patterns {
            let rows = try await Catalog.admin.query(
                "SELECT pg_database_size(oid)::int8 FROM pg_database WHERE starts_with(datname::text, \(pattern))"
            ).decode(Int.self)
            bytes += Int64(rows.reduce(0, +))
            if pattern.hasPrefix("pgfast_ready_") { stock = rows.count }
        }
        return (bytes, stock)
    }

    /// Waits until the runs' clones are gone and no housekeeping works any more.
    private func waitForHousekeeping(owners: [OwnerID]) async throws {
        for _ in 0..<3000 {
            var busy =
                try await Catalog.admin.value(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfast housekeeping'", as: Int.self
                ) > 0
            for owner in owners where !busy {
                busy = !(try await Catalog.databases(startingWith: "pgfast_t_\(owner.hex)_").isEmpty)
            }
            if !busy { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("housekeeping did not finish")
    }

    private func run(_ count: Int, directory: URL) async throws -> [OwnerID] {
        let environment = [
            "PGFAST_SCENARIO_DIR": directory.path, "PGFAST_STOCK_BYTES": "\(Self.budget)", "PGFAST_PREFETCH": "2",
            "PGFAST_MAX_DATABASES": "2",
        ]
        let children = try (0..<count).map { _ in try ChildProcess(scenario: "big", environment: environment) }
        for child in children { try child.start() }
        var owners: [OwnerID] = []
        for child in children {
            let (status, log) = await child.wait()
            #expect(status == 0, "\(log.suffix(3000))")
            #expect(child.lines.count == 40)
            if let owner = child.lines.first.flatMap(DatabaseNames.parse)?.owner { owners.append(owner) }
        }
        return owners
    }

    @Test func runsOnABigFixtureLeaveNoMoreThanTheBudget() async throws {
        let directory = try BigFixture.write()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recipe = try RecipeCache.make(
            IsolatedDatabaseOptions(
                migrations: [directory.path + "/migrations"], fixtures: [directory.path + "/fixtures"], load: ["big"],
                projectRoot: ProjectRoot.find()),
            serverVersion: try await TestEnvironment.current.shared().serverVersion,
            role: try await TestEnvironment.current.shared().templateRole)

        // One run of 40 tests: it would like 40 clones of stock; the budget holds about three.
        let first = try await run(1, directory: directory)
        try await waitForHousekeeping(owners: first)
        let afterOne = try await leftBytes(lineage: recipe.lineage, owners: first)
        #expect(afterOne.bytes <= Self.budget, "\(afterOne)")
        #expect(afterOne.stock >= 1, "stock is kept while it fits")
        let templateSize = try await Catalog.admin.value("SELECT pg_database_size(\(recipe.name))::int8", as: Int.self)
        #expect(templateSize > 50 << 20, "the fixture is about 60 MB")

        // Three at once: one budget between them, not three.
        let three = try await run(3, directory: directory)
        try await waitForHousekeeping(owners: three)
        let afterThree = try await leftBytes(lineage: recipe.lineage, owners: three)
        #expect(afterThree.bytes <= Self.budget, "\(afterThree)")
        #expect(afterThree.stock >= 1)

        for name in try await Catalog.databases(startingWith: "pgfast_ready_\(recipe.lineage)_") {
            try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
        }
        try await Catalog.dropTemplate(recipe.name)
    }

    @Test func stockLeftByOthersIsTrimmedToTheBudget() async throws {
        // Stock another process left, over the budget: the next run's end trims it, wherever it came from.
        let shared = try await TestEnvironment.current.shared()
        let lineage = "b0d9" + String(UUID().uuidString.prefix(4).lowercased())
        let key = "00000000000000bb"
        let names = (0..<4).map { DatabaseNames.ready(lineage: lineage, key: key, id: "cafe000\($0)") }
        // Its template exists: the stock is not an orphan for any sweeper.
        let template = DatabaseNames.template(lineage: lineage, key: key)
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: template)")
        for name in names { try await Catalog.admin.execute("CREATE DATABASE \(identifier: name)") }
        let one = try await Catalog.admin.value("SELECT pg_database_size(\(names[0]))::int8", as: Int.self)
        let budget = Int64(one) * 2 + Int64(one) / 2  // room for two
        try await Database(pool: shared.admin).withConnection { db in
            await Housekeeping.perform(.statement(StockBudget.lock(lineage: lineage)), on: db, logger: shared.logger)
            await Housekeeping.perform(
                StockBudget.trim(lineage: lineage, key: key, budget: budget), on: db, logger: shared.logger)
            await Housekeeping.perform(.statement(StockBudget.unlock(lineage: lineage)), on: db, logger: shared.logger)
        }
        let left = try await Catalog.databases(startingWith: "pgfast_ready_\(lineage)_")
        #expect(left.count == 2, "\(left)")
        for name in left { try await Catalog.admin.execute("DROP DATABASE \(identifier: name)") }
        try await Catalog.admin.execute("DROP DATABASE \(identifier: template)")
    }

    @Test func theBudgetDefaultsToAGibibyteOrAQuarterOfTheFreeSpace() async throws {
        let shared = try await TestEnvironment.current.shared()
        var settings = shared.settings
        settings.stockBytes = nil
        let budget = await StockBudget.bytes(settings: settings, server: shared.server, on: try await Catalog.admin)
        #expect(budget <= StockBudget.defaultBytes)
        if let directory = shared.server.dataDirectory, let free = StockBudget.freeBytes(atPath: directory) {
            #expect(budget == min(StockBudget.defaultBytes, free / 4))
        }
        #expect(StockBudget.freeBytes(atPath: "/no/such/directory/here") == nil)
        settings.stockBytes = 12345
        let fixed = await StockBudget.bytes(settings: settings, server: shared.server, on: try await Catalog.admin)
        #expect(fixed == 12345)
    }

    @Test(arguments: [
        ("1048576", Int64(1 << 20)), ("500MB", Int64(500 << 20)), ("1GiB", Int64(1 << 30)), ("64k", Int64(64 << 10)),
        ("1.5G", Int64(3 << 29)),
    ])
    func sizesAreRead(text: String, bytes: Int64) throws {
        #expect(TestSettings.bytes(text) == bytes)
        #expect(try TestSettings(environment: ["PGFAST_STOCK_BYTES": text]).stockBytes == bytes)
    }

    @Test func aBadSizeIsNamed() {
        #expect(TestSettings.bytes("lots") == nil)
        #expect {
            try TestSettings(environment: ["PGFAST_STOCK_BYTES": "lots"])
        } throws: { error in
            "\(error)".contains("PGFAST_STOCK_BYTES=lots")
        }
    }
}
