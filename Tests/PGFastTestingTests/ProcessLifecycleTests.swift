import Foundation
import PGFast
import Testing

@testable import PGFastTesting

/// Several processes on one server: failures kept, kills cleaned up, runs side by side.
@Suite(.enabled(if: ChildProcess.isSupported), .serialized)
struct ProcessLifecycleTests {
    @Test func failedTestKeepsItsDatabasePrintsAndAttachesItsURL() async throws {
        let attachments = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-att-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: attachments, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: attachments) }
        let run = try await ChildProcess.run("fails", extraArguments: ["--attachments-path", attachments.path])
        #expect(run.status != 0)
        let original = try #require(run.lines.first)
        // "pgfast: test fails() failed; its database pgfast_kept_… is kept: postgresql://…"
        let line = try #require(run.log.split(separator: "\n").first { $0.contains("pgfast: test") && $0.contains("is kept") })
        let url = try #require(line.components(separatedBy: "is kept: ").last).trimmingCharacters(in: .whitespaces)
        let kept = try #require(line.split(separator: " ").first { $0.hasPrefix("pgfast_kept_") }).description
        #expect(kept != original)
        #expect(url.hasSuffix("/" + kept))
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

    @Test func passingRunLeavesOnlyReadyStockBehind() async throws {
        let run = try await ChildProcess.run("passes")
        #expect(run.status == 0, "\(run.log)")
        #expect(run.lines.count == 20)
        for name in run.lines { #expect(try await Catalog.exists(name) == false) }
        let owner = try #require(run.lines.first.flatMap(DatabaseNames.parse)?.owner)
        #expect(try await Catalog.databases(startingWith: "pgfast_t_\(owner.hex)_").isEmpty)
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

        victim.kill()
        _ = await victim.wait()
        // The server notices the dead connection and releases its lease.
        var orphan: TestDatabaseInfo?
        for _ in 0..<100 {
            orphan = try await TestDatabases.list().first { $0.name == name }
            if orphan?.isOrphan == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(orphan?.ownerAlive == false)
        #expect(orphan?.isOrphan == true)

        // The next run sweeps what the killed one left: its clone and its prefetched ones.
        let next = try await ChildProcess.run("passes")
        #expect(next.status == 0, "\(next.log)")
        #expect(try await Catalog.databases(startingWith: "pgfast_t_\(owner.hex)_").isEmpty)
    }

    @Test func cleanupDropsWhatAKilledRunLeft() async throws {
        let victim = try ChildProcess(scenario: "hangs")
        try victim.start()
        let name = try #require(try await victim.waitForLines(1).first)
        victim.kill()
        _ = await victim.wait()
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
