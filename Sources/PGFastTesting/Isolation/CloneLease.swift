import Foundation
import PGFast
import Synchronization

/// One test's hold on a clone: its slot in the connection budget, and what
/// happens to the database when the test ends (dropped, or kept if it failed).
final class CloneLease: Sendable {
    let shared: TestEnvironment.Shared
    let name: String
    let pool: ConnectionPool
    let bytes: Int64
    let config: DatabaseConfig
    /// Transaction-mode tests borrow the shared clone: nothing to drop.
    let borrowed: Bool
    private let holdsSlot: Bool
    private let finished = Atomic<Bool>(false)

    init(shared: TestEnvironment.Shared, clone: ReadyClone, borrowed: Bool, holdsSlot: Bool) {
        self.shared = shared
        self.name = clone.name
        self.pool = clone.pool
        self.bytes = clone.bytes
        self.config = shared.cloneConfig(database: clone.name)
        self.borrowed = borrowed
        self.holdsSlot = holdsSlot
    }

    /// Drops or keeps the database as `PGFAST_KEEP_DATABASES` says for a test
    /// that passed or failed; returns the kept database's name and URL.
    @discardableResult
    func finish(failed: Bool, label: KeptLabel? = nil) async -> (name: String, url: String)? {
        switch shared.settings.keep {
        case .all: await finish(keeping: true, label: label)
        case .none: await finish(keeping: false)
        case .failed: await finish(keeping: failed, label: label)
        }
    }

    /// Drops the database, or renames it `pgfast_kept_…` (left alone by the
    /// sweeper, labelled with `label` for `pgfast test-db list`) and returns its
    /// new name and URL. Runs once.
    @discardableResult
    func finish(keeping keep: Bool, label: KeptLabel? = nil) async -> (name: String, url: String)? {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        defer { if holdsSlot { shared.slots.signal() } }
        guard !borrowed else { return nil }
        await pool.close()
        guard keep else {
            shared.drops.enqueue(name, bytes: bytes)
            return nil
        }
        let kept = shared.keptName()
        do {
            try await Database(pool: shared.admin).execute(
                "ALTER DATABASE \(identifier: name) RENAME TO \(identifier: kept)")
            let label = label ?? KeptLabel(test: "unknown", source: nil, run: shared.owner)
            do {
                try await Database(pool: shared.admin).execute(
                    SQL(unsafeRaw: "COMMENT ON DATABASE \"\(kept)\" IS \(sqlLiteral(label.comment))"))
            } catch {
                shared.logger.warning(
                    "cannot label the kept database", metadata: ["database": "\(kept)", "error": "\(error)"])
            }
            return (kept, shared.server.url(database: kept))
        } catch {
            shared.logger.warning(
                "cannot keep the test database", metadata: ["database": "\(name)", "error": "\(error)"])
            return (name, shared.server.url(database: name))
        }
    }
}
