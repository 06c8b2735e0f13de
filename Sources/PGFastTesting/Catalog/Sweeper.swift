import Logging
import PGFast

/// Drops what dead runs left behind, once per process, in the background.
struct Sweeper {
    let shared: TestEnvironment.Shared

    func sweep(logger: Logger) async {
        do {
            let dropped = try await TestDatabases.cleanup(
                on: Database(pool: shared.admin), kept: false, templates: false)
            if !dropped.isEmpty {
                logger.info("dropped databases left by runs that are gone", metadata: ["count": "\(dropped.count)"])
            }
        } catch {
            logger.debug("sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
