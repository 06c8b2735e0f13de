import Foundation
import PGFast
import Testing

@testable import PGFastTesting

/// A clone made while its run's lease is lost for a moment (before the next beat takes it
/// back): it carries the run's heartbeat from the moment others can see it, so another
/// process's cleanup never takes it for an orphan.
@Suite struct LostLeaseCreationTests {
    /// A run alive in this process whose lease lock was just lost and whose heartbeat does not
    /// beat: the moment between a blip and the next beat, held still.
    private func runWithLostLease() async throws -> TestEnvironment.Shared {
        let shared = try await TestEnvironment.current.shared()
        let lease = try await OwnerLease.acquire(server: shared.server, logger: shared.logger)
        lease.stopBeating()
        let owner = lease.owner
        // The lease's session ends (as a proxy or idle timeout would end it): its lock is free.
        try await Catalog.admin.execute(
            """
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND classid::int8 = \(Int(OwnerID.lockClass))
              AND objid::int8 = \(Int(owner.value)) AND objsubid = 2
            """)
        var locked = true
        for _ in 0..<500 {
            locked = try await OwnerLeaseTests.ownerLocked(owner)
            if !locked { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!locked)
        var settings = shared.settings
        settings.prefetch = 0  // one clone, the one asked for
        settings.creationConcurrency = 1
        return TestEnvironment.Shared(
            server: shared.server, admin: shared.admin, lease: lease, settings: settings, logger: shared.logger,
            serverVersion: shared.serverVersion, slotCount: 1, stockBudget: 0, templateRole: shared.templateRole)
    }

    @Test func aFreshCloneOfARunWhoseLeaseIsLostSurvivesAnotherProcesssCleanup() async throws {
        let run = try await runWithLostLease()
        let template = try await TestEnvironment.current.template(
            for: RecipeCache.shared.recipe(for: Shop.options))
        // Lineage and key match no stock: the clone is created from the template.
        let factory = CloneFactory(
            template: template, lineage: "lostlease", key: String(UUID().uuidString.prefix(8)), environment: run,
            strategy: .some(.fileCopy))
        let clone = try await factory.take()
        let (unused, _) = await factory.close()
        #expect(unused.isEmpty)
        await clone.pool.close()
        #expect(try await OwnerLeaseTests.ownerLocked(run.owner) == false)

        // No beat has run: the heartbeat on it is the one written as it was made.
        let comment = try await Catalog.admin.value(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = \(clone.name)",
            as: String?.self)
        #expect(Liveness.heartbeat(inComment: comment) != nil, "\(comment ?? "no comment")")
        let info = try #require(try await TestDatabases.list().first { $0.name == clone.name })
        #expect(info.ownerAlive == true)
        #expect(!info.isOrphan)
        // What another process's cleanup (`pgfast test-db cleanup`) does, through a connection of its own.
        let report = try await TestDatabases.cleanupReport()
        #expect(!report.dropped.contains(clone.name))
        #expect(try await Catalog.exists(clone.name))
        try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: clone.name) WITH (FORCE)")
    }

    /// Between `CREATE DATABASE` and its stamp, a cleanup that listed the clone as an orphan
    /// (no lock, no heartbeat) and goes to drop it finds the creation under way and leaves it.
    @Test func aCloneBetweenItsCreateAndItsStampIsNotDropped() async throws {
        let run = try await runWithLostLease()
        let name = run.nextCloneName()
        var config = run.server.admin
        config.maxConnections = 1
        try await Database.connect(config) { creator in
            try await creator.withConnection { creator in
                try await run.lease.creating(name, on: creator) {
                    try await creator.execute("CREATE DATABASE \(identifier: name)")
                    // Other processes' sweeps see the same orphan and hold the owner's lock for a
                    // moment while they look (they leave it too): listed then, it looks alive. Look again.
                    var seen: TestDatabaseInfo?
                    for _ in 0..<250 {
                        let listed = try await Database(pool: run.admin).withConnection { db in
                            try await TestDatabases.catalog(on: db, measuring: false, grace: .seconds(30))
                        }
                        seen = listed.first { $0.name == name }
                        if seen?.isOrphan != false { break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    let info = try #require(seen)
                    #expect(info.isOrphan)
                    let dropped = try await Database(pool: run.admin).withConnection { db in
                        try await TestDatabases.drop(info, on: db, grace: .seconds(30))
                    }
                    #expect(dropped == false)
                }
            }
        }
        #expect(try await Catalog.exists(name))
        let comment = try await Catalog.admin.value(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = \(name)", as: String?.self)
        #expect(Liveness.heartbeat(inComment: comment) != nil)
        try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
    }
}
