import ServiceLifecycle

/// Run the pool in a `ServiceGroup` (Hummingbird's `Application(services:)`):
/// it closes gracefully when the group shuts down.
///
/// The pool is closed whoever else uses it: list it only where this group owns it.
/// For a pool that outlives the group (a test's, shared with HummingbirdTesting's
/// `app.test`), list `DatabaseService(Database(pool: pool))` instead, which leaves a
/// shared pool open.
///
/// ```swift
/// let pool = try await ConnectionPool(config)
/// let app = Application(router: router, services: [pool])
/// try await app.runService()
/// ```
extension ConnectionPool: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
