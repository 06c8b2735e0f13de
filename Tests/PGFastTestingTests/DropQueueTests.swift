import Foundation
import PGFast
import Testing

@testable import PGFastTesting

@Suite struct DropQueueTests {
    @Test func dropsBeyondTheDeferredCountAtOnceAndTheRestOnDrain() async throws {
        let shared = try await TestEnvironment.current.shared()
        let names = (0..<3).map { "pgfast_droptest_\($0)_\(UUID().uuidString.prefix(8).lowercased())" }
        for name in names { try await Catalog.admin.execute("CREATE DATABASE \(identifier: name)") }
        let queue = DropQueue(admin: shared.admin, logger: shared.logger, deferred: 2)
        for name in names { queue.enqueue(name) }
        // The third goes over the deferred count: the oldest is dropped now.
        var first = true
        for _ in 0..<200 {
            first = try await Catalog.exists(names[0])
            if !first { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(first == false)
        #expect(try await Catalog.exists(names[1]))
        #expect(try await Catalog.exists(names[2]))
        // Deferred ones wait for the end of the run, or for someone to drain.
        await queue.drain()
        #expect(try await Catalog.exists(names[1]) == false)
        #expect(try await Catalog.exists(names[2]) == false)
    }

    @Test func takePendingHandsTheDeferredDropsOver() async throws {
        let shared = try await TestEnvironment.current.shared()
        let queue = DropQueue(admin: shared.admin, logger: shared.logger, deferred: 10)
        queue.enqueue("pgfast_droptest_never_created_a")
        queue.enqueue("pgfast_droptest_never_created_b")
        #expect(await queue.takePending() == ["pgfast_droptest_never_created_a", "pgfast_droptest_never_created_b"])
        #expect(await queue.takePending().isEmpty)
    }

    @Test func aFinishedCloneIsDroppedAtOnceNotHeldToTheEnd() async throws {
        let shared = try await TestEnvironment.current.shared()
        let name = "pgfast_droptest_now_\(UUID().uuidString.prefix(8).lowercased())"
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: name)")
        let queue = DropQueue(admin: shared.admin, logger: shared.logger)
        queue.enqueue(name)
        var exists = true
        for _ in 0..<500 {
            exists = try await Catalog.exists(name)
            if !exists { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(exists == false)
        #expect(await queue.takePending().isEmpty)
    }

    /// Waits (up to 10 s) until `name` is gone; false if it is still there.
    private func dropped(_ name: String) async throws -> Bool {
        for _ in 0..<500 {
            if try await !Catalog.exists(name) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func dropsWaitWhileACloneIsBeingMadeAndStartWhenNoneIs() async throws {
        let shared = try await TestEnvironment.current.shared()
        let name = "pgfast_droptest_held_\(UUID().uuidString.prefix(8).lowercased())"
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: name)")
        let queue = DropQueue(admin: shared.admin, logger: shared.logger, holdBytes: 100 << 20)
        queue.creationStarted()
        queue.enqueue(name, bytes: 10 << 20)
        queue.creationStarted()
        queue.creationEnded()  // one creation is still running
        // Nothing started: the drop is still queued (a started one would be out of the queue).
        let held = await queue.takePending()
        #expect(held == [name])
        queue.enqueue(name, bytes: 10 << 20)
        queue.creationEnded()  // none left: the drop goes now
        #expect(try await dropped(name))
        #expect(await queue.takePending().isEmpty)
    }

    @Test func dropsGoOnWhileClonesAreMadeOnceTheQueueHoldsMoreThanTheBudget() async throws {
        let shared = try await TestEnvironment.current.shared()
        let names = (0..<2).map { "pgfast_droptest_over_\($0)_\(UUID().uuidString.prefix(8).lowercased())" }
        for name in names { try await Catalog.admin.execute("CREATE DATABASE \(identifier: name)") }
        let queue = DropQueue(admin: shared.admin, logger: shared.logger, holdBytes: 15 << 20)
        queue.creationStarted()
        defer { queue.creationEnded() }
        queue.enqueue(names[0], bytes: 10 << 20)
        queue.enqueue(names[1], bytes: 10 << 20)  // 20 MB queued, over the 15 MB held
        // The oldest goes while the creation still runs; the other fits the budget and waits.
        #expect(try await dropped(names[0]))
        #expect(try await Catalog.exists(names[1]))
        #expect(await queue.takePending() == [names[1]])
        try await Catalog.admin.execute("DROP DATABASE \(identifier: names[1])")
    }
}
