import Foundation
import Logging
import PGFast

/// Drops what dead runs left behind, and kept databases beyond the cap, once
/// per process, in the background.
///
/// A run is dead only when its lease lock is free and its last heartbeat is
/// older than the grace period (``Liveness``), so a run that just exited, whose
/// housekeeping is still dropping its clones, is left alone. Databases of other
/// roles are not this run's to drop and are skipped silently.
struct Sweeper {
    let shared: TestEnvironment.Shared

    func sweep(logger: Logger) async {
        let db = Database(pool: shared.admin)
        do {
            let report = try await TestDatabases.cleanup(
                on: db, kept: false, templates: false, grace: shared.settings.grace)
            let clones = report.dropped.filter { DatabaseNames.parse($0)?.kind == .clone }
            if !clones.isEmpty {
                // Routine (a run killed or crashed): shown from PGFAST_LOG_LEVEL=info, so a passing run stays quiet.
                logger.info(
                    "dropped databases left by runs that are gone", metadata: ["count": "\(clones.count)"])
            }
            for failure in report.failed {
                logger.warning(
                    "cannot drop a database a gone run left",
                    metadata: ["database": "\(failure.name)", "reason": "\(failure.reason)"])
            }
        } catch {
            logger.warning("sweep failed", metadata: ["error": "\(TestDatabases.reason(error))"])
        }
        await capKept(on: db, limit: shared.settings.keptMax, logger: logger)
    }

    /// Keeps the newest `limit` (`PGFAST_KEPT_MAX`) kept databases of this role whose names
    /// start with `prefix`, dropping older ones with a line that says so; returns those dropped.
    @discardableResult
    func capKept(on db: Database, limit: Int, matching prefix: String = "pgfast_kept_", logger: Logger) async
        -> [String]
    {
        var dropped: [String] = []
        do {
            let kept = try await TestDatabases.catalog(on: db, measuring: false, grace: shared.settings.grace)
                .filter { $0.kind == .kept && $0.isMine && $0.name.hasPrefix(prefix) }
                .sorted { newer($0, than: $1) }
            guard kept.count > limit else { return [] }
            for info in kept.dropFirst(limit) {
                do {
                    try await db.execute("DROP DATABASE IF EXISTS \(identifier: info.name) WITH (FORCE)")
                    dropped.append(info.name)
                } catch {
                    logger.warning(
                        "cannot drop an old kept database",
                        metadata: ["database": "\(info.name)", "reason": "\(TestDatabases.reason(error))"])
                }
            }
            if !dropped.isEmpty {
                logger.notice(
                    "dropped \(dropped.count) kept database(s) older than the last \(limit) (PGFAST_KEPT_MAX)",
                    metadata: ["databases": "\(dropped.joined(separator: ", "))"])
            }
        } catch {
            logger.warning("cannot list kept databases", metadata: ["error": "\(TestDatabases.reason(error))"])
        }
        return dropped
    }

    /// Newest first: by the label's time, then by name.
    private func newer(_ a: TestDatabaseInfo, than b: TestDatabaseInfo) -> Bool {
        switch (a.label?.time, b.label?.time) {
        case (let x?, let y?) where x != y: return x > y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.name > b.name
        }
    }
}
