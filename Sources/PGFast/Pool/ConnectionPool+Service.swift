import ServiceLifecycle

/// Run the pool in a `ServiceGroup` (Hummingbird's `Application(services:)`):
/// it closes gracefully when the group shuts down.
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
