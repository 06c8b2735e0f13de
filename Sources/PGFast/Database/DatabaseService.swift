import ServiceLifecycle

/// A `Service` that gives a ``Database`` handle's pool the lifetime of a service group
/// (Hummingbird's `Application(services:)`), and at shutdown closes that pool only if the
/// handle owns it (``Database/ownsPool``).
///
/// The app takes a `Database` and lists `DatabaseService(database)` among its services.
/// In production the handle comes from ``Database/connect(_:schema:logger:)`` and owns
/// its pool: shutdown closes it. In a test the handle shares a pool that belongs to the
/// test (`IsolatedDatabase.current.database`): the app's shutdown at the end of
/// HummingbirdTesting's `app.test` leaves it open, where listing the pool itself as the
/// service (``ConnectionPool``'s `Service` conformance) would close it under the test.
///
/// ```swift
/// func buildApplication(database: Database) -> some ApplicationProtocol {
///     Application(router: makeRouter(database), services: [DatabaseService(database)])
/// }
/// ```
public struct DatabaseService: Service, CustomStringConvertible {
    /// The handle whose pool this service keeps.
    public let database: Database

    /// A service for `database`: closes its pool at shutdown if, and only if, the handle owns it.
    public init(_ database: Database) {
        self.database = database
    }

    /// Waits for the group's graceful shutdown (or cancellation), then closes the pool if owned.
    public func run() async throws {
        try? await gracefulShutdown()
        await database.close()
    }

    public var description: String {
        "DatabaseService(\(database.ownsPool ? "owns" : "shares") its pool)"
    }
}
