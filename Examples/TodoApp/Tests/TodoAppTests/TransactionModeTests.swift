import Foundation
import HummingbirdTesting
import PGFastTesting
import Testing
import TodoApp

/// Transaction mode: each test in a transaction on a shared clone, rolled back at its
/// end. The app gets the test's transaction as its database (the same
/// `TestApp.run`), so what it writes is visible to the test and gone afterwards.
/// Only for tests whose requests all succeed: a failed statement aborts the transaction.
@Suite(.todoDatabase)
struct TransactionModeTests {
    @Test(.isolatedDatabase(.transaction), .fixtures("users"))
    func appWritesInsideTheTestsTransaction() async throws {
        let db = try IsolatedDatabase.current
        #expect(db.mode == .transaction)
        try await TestApp.run { client in
            try await client.execute(
                uri: "/users", method: .post, body: try JSON.body(NewUser(email: "tx@example.com", name: "In Tx"))
            ) { response in
                #expect(response.status == .created)
            }
        }
        let count = try await db.value("SELECT count(*) FROM users", as: Int.self)
        #expect(count == 3)
    }
}
