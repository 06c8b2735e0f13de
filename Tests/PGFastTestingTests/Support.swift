import Foundation
import PGFast
import Synchronization
import Testing

@testable import PGFastTesting

/// The shop set (users, products, orders) the isolation tests run on.
enum Shop {
    static let migrations = ["fixtures/sets/shop/migrations"]
    static let fixtures = ["fixtures/sets/shop/fixtures"]
    static let options = IsolatedDatabaseOptions(migrations: migrations, fixtures: fixtures)
}

/// Reads the server's catalog through this process's admin pool.
enum Catalog {
    static var admin: Database {
        get async throws { Database(pool: try await TestEnvironment.current.shared().admin) }
    }

    /// Whether a database of that name exists.
    static func exists(_ name: String) async throws -> Bool {
        try await admin.value("SELECT count(*) FROM pg_database WHERE datname = \(name)", as: Int.self) == 1
    }

    /// Waits until every drop this process queued is done.
    static func drainDrops() async throws {
        try await TestEnvironment.current.shared().drops.drain()
    }

    /// Drops a sealed template this test built.
    static func dropTemplate(_ name: String) async throws {
        try await admin.execute("ALTER DATABASE \(identifier: name) WITH IS_TEMPLATE false")
        try await admin.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
    }

    /// PGFast databases whose name starts with `prefix`.
    static func databases(startingWith prefix: String) async throws -> [String] {
        try await admin.query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname::text, \(prefix)) ORDER BY 1"
        ).decode(String.self)
    }
}

/// Lets two tests meet: each waits (up to `timeout`) until the other arrived too,
/// so their work overlaps when the runner runs them in parallel.
actor Rendezvous {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) { self.parties = parties }

    /// True when everyone arrived in time; false after `timeout` (a serial run).
    func arrive(timeout: Duration = .seconds(5)) async -> Bool {
        arrived += 1
        if arrived >= parties {
            for continuation in waiting { continuation.resume() }
            waiting = []
            return true
        }
        let deadline = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.release()
        }
        await withCheckedContinuation { waiting.append($0) }
        deadline.cancel()
        return arrived >= parties
    }

    private func release() {
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}

/// How many of something are held at once, and the most ever held.
final class PeakCounter: Sendable {
    private let state = Mutex((now: 0, peak: 0))

    func enter() {
        state.withLock {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
    }
    func leave() { state.withLock { $0.now -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}
