import Foundation
import HummingbirdTesting
import PGFastTesting
import Testing
import TodoApp

/// The app runs its services (the database among them) in a service group that
/// HummingbirdTesting shuts down at the end of every `app.test`.
@Suite(.todoDatabase)
struct LifecycleTests {
    @Test func appShutdownLeavesTheTestsPoolOpen() async throws {
        let db = try IsolatedDatabase.current.database
        for round in 1...2 {
            try await TestApp.run { client in
                try await client.execute(
                    uri: "/users", method: .post,
                    body: try JSON.body(NewUser(email: "round\(round)@example.com", name: "Round \(round)"))
                ) { response in
                    #expect(response.status == .created)
                }
            }
            // The app has shut down (its service group ran DatabaseService's shutdown)…
            #expect(!db.pool.isClosed)
            // …and the test's pool still serves queries.
            #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == round)
        }
    }

    @Test func productionHandleIsClosedByTheAppShutdown() async throws {
        // What production does: a handle that owns its pool, handed to the app.
        let owned = try await Database.connect(try IsolatedDatabase.current.config)
        let app = buildApplication(database: owned, logger: TestApp.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/todos/1/complete", method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(owned.pool.isClosed)
    }
}
