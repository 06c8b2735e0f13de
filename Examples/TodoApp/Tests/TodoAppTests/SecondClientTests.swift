import Foundation
import HummingbirdTesting
import PGFastTesting
import Testing
import TodoApp

/// Other tools reach a test's database through its URL: a second pool, psql, a worker
/// process under test.
@Suite(.todoDatabase)
struct SecondClientTests {
    @Test func secondClientSeesWhatTheAppCommitted() async throws {
        try await TestApp.run { client in
            try await client.execute(
                uri: "/users", method: .post, body: try JSON.body(NewUser(email: "seen@example.com", name: "Seen"))
            ) { response in
                #expect(response.status == .created)
            }
        }
        let url = try IsolatedDatabase.current.url
        let names = try await Database.connect(try DatabaseConfig(url: url)) { other in
            try await other.query("SELECT name FROM users ORDER BY id").decode((String).self)
        }
        #expect(names == ["Seen"])
    }

    @Test(.fixtures("users"))
    func secondClientSeesTheFixtures() async throws {
        let url = try IsolatedDatabase.current.url
        let emails = try await Database.connect(try DatabaseConfig(url: url)) { other in
            try await other.query("SELECT email FROM users ORDER BY email").decode(String.self)
        }
        #expect(emails == ["ada@example.com", "grace@example.com"])
    }
}
