import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PGFastTesting
import Testing
import TodoApp

/// The database every suite here runs on: the app's migrations and fixtures, the template's
/// history recorded under the app's module, so the app's own migrator finds it up to date.
extension Trait where Self == IsolatedDatabaseTrait {
    static var todoDatabase: Self {
        .isolatedDatabase(migrations: ["db/migrations"], fixtures: ["db/fixtures"], module: TodoMigrations.module)
    }
}

/// The one way these tests build the app: on the running test's isolated database,
/// as production builds it on its pool.
///
/// `IsolatedDatabase.current.database` shares the test's pool, so the app's
/// `DatabaseService` leaves that pool open when `app.test` shuts the app down: the
/// test goes on using the database afterwards (and the isolation trait closes it).
enum TestApp {
    static let logger: Logger = {
        var logger = Logger(label: "todo-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// Builds the app on this test's database (migrations run at its startup, as in
    /// production) and runs `body` with a client that sends requests to its router.
    static func run<Value: Sendable>(
        _ body: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let app = buildApplication(database: try IsolatedDatabase.current.database, logger: logger)
        return try await app.test(.router, body)
    }
}

/// JSON bodies in and out.
enum JSON {
    static func body(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder().encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from response: TestResponse) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(response.body.readableBytesView))
    }
}
