import Foundation
import Logging
import PGFast
import ServiceLifecycle
import Testing

/// `DatabaseService` gives a handle's pool the lifetime of a service group and closes
/// it at shutdown only when the handle owns it.
@Suite("DatabaseService")
struct DatabaseServiceTests {
    /// Runs `services` in a group, lets `body` use them, then shuts the group down.
    private func runGroup(_ services: [any Service], _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: services, logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await body()
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func sharedPoolOutlivesTheGroup() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let shared = Database(pool: pool)
            #expect(!shared.ownsPool)
            try await runGroup([DatabaseService(shared)]) {
                let one = try await shared.value("SELECT 1::int8", as: Int.self)
                #expect(one == 1)
            }
            // The group is gone; the pool's owner still uses it.
            #expect(!pool.isClosed)
            #expect(try await shared.value("SELECT 2::int8", as: Int.self) == 2)
            // A second group (the next `app.test`) runs on the same pool.
            try await runGroup([DatabaseService(shared.scoped(to: "billing"))]) {
                let three = try await shared.value("SELECT 3::int8", as: Int.self)
                #expect(three == 3)
            }
            #expect(!pool.isClosed)
            await pool.close()
        }
    }

    @Test func ownedPoolClosesWithTheGroup() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let owned = try await Database.connect(config)
            #expect(owned.ownsPool)
            try await runGroup([DatabaseService(owned)]) {
                let one = try await owned.value("SELECT 1::int8", as: Int.self)
                #expect(one == 1)
            }
            #expect(owned.pool.isClosed)
            await #expect(throws: PostgresError.self) { try await owned.execute("SELECT 1") }
        }
    }

    @Test func theSharedPoolAsAServiceIsClosed() async throws {
        // The trap DatabaseService avoids: the pool itself as the service closes it for everyone.
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            try await runGroup([pool]) {}
            #expect(pool.isClosed)
            let error = await #expect(throws: PostgresError.self) { try await Database(pool: pool).execute("SELECT 1") }
            #expect(error?.code == .poolClosed)
        }
    }

    @Test func pinnedAndScopedHandlesNeverOwnThePool() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let owned = try await Database.connect(config)
            #expect(!owned.scoped(to: "other").ownsPool)
            try await owned.transaction { tx in #expect(!tx.ownsPool) }
            #expect(DatabaseService(owned.scoped(to: "other")).description == "DatabaseService(shares its pool)")
            #expect(DatabaseService(owned).description == "DatabaseService(owns its pool)")
            await owned.close()
        }
    }
}
