import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// Several processes on one server: failures kept, kills cleaned up, runs side by side.
@Suite(.enabled(if: ChildProcess.isSupported), .serialized)
struct ProcessLifecycleTests {
    @Test func failedTestKeepsItsDatabasePrintsAndAttachesItsURL() async throws {
        let attachments = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-att-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: attachments, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: attachments) }
        let run = try await ChildProcess.run("fails", extraArguments: ["--attachments-path", attachments.path])
        #expect(run.status != 0)
        let original = try #require(run.lines.first)
        // "pgfast: test fails() failed; its database pgfast_kept_… is kept: postgresql://…"
        let line = try #require(
            run.log.split(separator: "\n").first { $0.contains("pgfast: test") && $0.contains("is kept") })
        let url = try #require(
            line.components(separatedBy: "is kept: ").last?.split(separator: " ").first.map(String.init))
        let kept = try #require(line.split(separator: " ").first { $0.hasPrefix("pgfast_kept_") }).description
        #expect(kept != original)
        #expect(url.contains("/" + kept))
        #expect(try await Catalog.exists(kept))
        #expect(try await Catalog.exists(original) == false)
        let db = try await Database.connect(try DatabaseConfig(url: url))
        #expect(try await db.value("SELECT email FROM users", as: String.self) == "failed@example.com")
        await db.close()
        // The URL is attached to the test too.
        let files = try FileManager.default.subpathsOfDirectory(atPath: attachments.path)
        let attachment = try #require(files.first { $0.contains("pgfast-database-url") })
        #expect(try String(contentsOf: attachments.appendingPathComponent(attachment), encoding: .utf8) == url)
        try await Catalog.admin.execute("DROP DATABASE \(identifier: kept) WITH (FORCE)")
    }

    /// Waits (up to 60 s: other runs' housekeeping may be queued on the server) for a finished run's clones to go.
    private func clonesGone(owner: OwnerID) async throws -> Bool {
        for _ in 0..<1200 {
            if try await Catalog.databases(startingWith: "pgfast_t_\(owner.hex)_").isEmpty { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    private func statistics(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    @Test func passingRunDropsItsClonesAndLeavesStockForTheNext() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-stats-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await ChildProcess.run("passes", environment: ["PGFAST_STATISTICS_FILE": file.path])
        #expect(run.status == 0, "\(run.log)")
        #expect(run.lines.count == 20)
        let owner = try #require(run.lines.first.flatMap(DatabaseNames.parse)?.owner)
        #expect(try await clonesGone(owner: owner))
        for name in run.lines { #expect(try await Catalog.exists(name) == false) }
        let first = try statistics(file)
        #expect(first["waits_milliseconds"] as? [Double] != nil)

        // The stock it left (made after it exited) is what the next run takes first.
        let recipe = try RecipeCache.make(
            IsolatedDatabaseOptions(
                migrations: Shop.migrations, fixtures: Shop.fixtures, load: ["products"],
                projectRoot: ProjectRoot.find()),
            serverVersion: try await TestEnvironment.current.shared().serverVersion,
            role: try await TestEnvironment.current.shared().templateRole)
        let prefix = DatabaseNames.readyPrefix(lineage: recipe.lineage, key: recipe.key)
        var left: [String] = []
        for _ in 0..<1200 {
            left = try await Catalog.databases(startingWith: prefix)
            if left.count >= 20 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(left.count >= 20)
        let next = try await ChildProcess.run("passes", environment: ["PGFAST_STATISTICS_FILE": file.path])
        #expect(next.status == 0, "\(next.log)")
        let second = try statistics(file)
        #expect((second["clones_claimed_from_stock"] as? Int ?? 0) >= 10, "\(second)")
    }

    /// Here, serialized with the quiet-run test: a database nobody can drop makes every sweep say so.
    @Test func cleanupGoesOnPastADatabaseItCannotDrop() async throws {
        // One it may not drop (a template: "cannot drop a template database"), then plain orphans.
        let stuck = DatabaseNames.clone(owner: OwnerID.random(), sequence: 1)
        let plain = [
            DatabaseNames.clone(owner: OwnerID.random(), sequence: 1),
            DatabaseNames.clone(owner: OwnerID.random(), sequence: 1),
        ]
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: stuck) IS_TEMPLATE true")
        for name in plain { try await Catalog.admin.execute("CREATE DATABASE \(identifier: name)") }
        // Another process's sweep may hold the owner's lock for a moment (it fails on it too): look again.
        var report = try await TestDatabases.cleanupReport()
        for _ in 0..<50 where !report.failed.contains(where: { $0.name == stuck }) {
            try await Task.sleep(for: .milliseconds(50))
            report = try await TestDatabases.cleanupReport()
        }
        // Dropped by this cleanup, or by another process's sweep that came first: that sweep holds
        // the owner's lock while its DROP runs (this cleanup skips the database then), so look again.
        for name in plain {
            var exists = try await Catalog.exists(name)
            for _ in 0..<100 where exists {
                try await Task.sleep(for: .milliseconds(50))
                _ = try await TestDatabases.cleanupReport()
                exists = try await Catalog.exists(name)
            }
            #expect(exists == false, "\(name)")
        }
        let failure = try #require(report.failed.first { $0.name == stuck })
        #expect(failure.reason.contains("template"), "\(failure)")
        #expect(report.summary.contains("not dropped \(stuck)"))
        #expect(report.summary.contains("could not be dropped"))
        try await Catalog.admin.execute("ALTER DATABASE \(identifier: stuck) WITH IS_TEMPLATE false")
        // Once it is no template, any process's sweep may drop it first.
        try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: stuck)")
    }

    /// Quiet by default: a run started right after another (racing its housekeeping) prints
    /// nothing of PGFast's: no log line, no NOTICE, no "left by runs that are gone".
    @Test func aWarmPassingRunPrintsNoPGFastLine() async throws {
        let first = try await ChildProcess.run("passes")
        #expect(first.status == 0, "\(first.log)")
        let second = try await ChildProcess.run("passes")
        #expect(second.status == 0, "\(second.log)")
        #expect(!second.log.lowercased().contains("pgfast"), "\(second.log)")
        #expect(!second.log.contains("NOTICE"), "\(second.log)")
        #expect(!second.log.contains("left by runs that are gone"), "\(second.log)")
        // Only the test runner's lines.
        let runner: Set<Character> = ["◇", "↳", "✔", "􀟈", "􀄵", "􁁛", "􀙟", "✘"]
        for line in second.log.split(separator: "\n") where !line.isEmpty {
            #expect(line.first.map(runner.contains) == true, "\(line)")
        }
    }

    @Test func keepAllKeepsPassingTestsDatabases() async throws {
        let run = try await ChildProcess.run(
            "passes", environment: ["PGFAST_KEEP_DATABASES": "all"])
        #expect(run.status == 0, "\(run.log)")
        let kept = run.log.split(separator: "\n").filter {
            $0.contains("passed (PGFAST_KEEP_DATABASES=all); its database")
        }
        #expect(kept.count == 20, "\(run.log)")
        let owner = try #require(run.lines.first.flatMap(DatabaseNames.parse)?.owner)
        let names = try await Catalog.databases(startingWith: "pgfast_kept_\(owner.hex)_")
        #expect(names.count == 20)
        for name in names { try await Catalog.admin.execute("DROP DATABASE \(identifier: name) WITH (FORCE)") }
    }

    @Test func keepNoneDropsAFailedTestsDatabase() async throws {
        let run = try await ChildProcess.run("fails", environment: ["PGFAST_KEEP_DATABASES": "none"])
        #expect(run.status != 0)
        #expect(!run.log.contains("is kept"))
        let name = try #require(run.lines.first)
        let owner = try #require(DatabaseNames.parse(name)?.owner)
        #expect(try await Catalog.databases(startingWith: "pgfast_kept_\(owner.hex)_").isEmpty)
    }

    @Test func twoRunsAtOnceBothPass() async throws {
        let first = try ChildProcess(scenario: "passes")
        let second = try ChildProcess(scenario: "passes")
        try first.start()
        try second.start()
        let (firstStatus, firstLog) = await first.wait()
        let (secondStatus, secondLog) = await second.wait()
        #expect(firstStatus == 0, "\(firstLog)")
        #expect(secondStatus == 0, "\(secondLog)")
        #expect(Set(first.lines).isDisjoint(with: Set(second.lines)))
    }

    @Test func runKilledWithSIGKILLLeavesNoOrphanAfterTheNextRun() async throws {
        let victim = try ChildProcess(scenario: "hangs")
        try victim.start()
        let name = try #require(try await victim.waitForLines(1).first)
        let owner = try #require(DatabaseNames.parse(name)?.owner)

        // While it lives, its databases are not orphans: cleanup leaves them alone.
        let dropped = try await TestDatabases.cleanup()
        #expect(!dropped.contains(name))
        let alive = try #require(try await TestDatabases.list().first { $0.name == name })
        #expect(alive.ownerAlive == true)
        #expect(alive.isOrphan == false)

        try await OwnerLeaseTests.waitForHeartbeat(on: name)
        victim.kill()
        _ = await victim.wait()
        // Gone past the grace period (its heartbeat backdated, not waited for).
        try await OwnerLeaseTests.backdateHeartbeats(owner: owner)
        // The server notices the dead connection and releases its lease.
        // (Another process's sweep may drop it first, or hold the owner's lock for a moment as it
        // looks, which reads as alive then.)
        var orphan: TestDatabaseInfo?
        for _ in 0..<100 {
            orphan = try await TestDatabases.list().first { $0.name == name }
            if orphan?.isOrphan != false { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if let orphan {
            #expect(orphan.ownerAlive == false)
            #expect(orphan.isOrphan)
        }

        // The next run sweeps what the killed one left: its clone and its prefetched ones.
        let next = try await ChildProcess.run("passes")
        #expect(next.status == 0, "\(next.log)")
        // Dropped by the next run's sweep, or by another process's that held the owner's lock
        // when the next run looked (it skips an owner another sweep is on): that one may still be dropping.
        var left = try await Catalog.databases(startingWith: "pgfast_t_\(owner.hex)_")
        for _ in 0..<200 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            left = try await Catalog.databases(startingWith: "pgfast_t_\(owner.hex)_")
        }
        #expect(left.isEmpty, "\(left)")
        #expect(try await Catalog.exists(name) == false)
    }

    @Test func cleanupDropsWhatAKilledRunLeft() async throws {
        let victim = try ChildProcess(scenario: "hangs")
        try victim.start()
        let name = try #require(try await victim.waitForLines(1).first)
        let owner = try #require(DatabaseNames.parse(name)?.owner)
        victim.kill()
        _ = await victim.wait()
        try await OwnerLeaseTests.backdateHeartbeats(owner: owner)
        var dropped: [String] = []
        for _ in 0..<100 {
            dropped = try await TestDatabases.cleanup()
            if dropped.contains(name) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(dropped.contains(name))
        #expect(try await Catalog.exists(name) == false)
    }
}

@Suite struct HousekeepingTests {
    @Test func connectionSettingsBecomeLibpqVariables() throws {
        let config = try DatabaseConfig(
            url:
                "postgresql://app:s3cret@db.example.com:6543/admin?sslmode=require&application_name=x&connect_timeout=5"
        )
        let environment = try #require(Housekeeping.libpqEnvironment(config))
        #expect(environment["PGHOST"] == "db.example.com")
        #expect(environment["PGPORT"] == "6543")
        #expect(environment["PGUSER"] == "app")
        #expect(environment["PGPASSWORD"] == "s3cret")
        #expect(environment["PGDATABASE"] == "admin")
        #expect(environment["PGSSLMODE"] == "require")
        #expect(environment["PGCONNECT_TIMEOUT"] == "5")
        #expect(environment["PGAPPNAME"] == "pgfast housekeeping")
    }

    @Test func aSettingWithoutAVariableMeansNoDetachedPsql() throws {
        let config = try DatabaseConfig(conninfo: "host=/tmp dbname=postgres tcp_user_timeout=1000")
        #expect(Housekeeping.libpqEnvironment(config) == nil)
    }
}
