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
}
