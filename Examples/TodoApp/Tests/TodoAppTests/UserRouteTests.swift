import Foundation
import Hummingbird
import HummingbirdTesting
import PGFastTesting
import Testing
import TodoApp

@Suite(.todoDatabase)
struct UserRouteTests {
    @Test func createsUser() async throws {
        let user = try await TestApp.run { client in
            try await client.execute(
                uri: "/users", method: .post, body: try JSON.body(NewUser(email: "linus@example.com", name: "Linus"))
            ) { response in
                #expect(response.status == .created)
                return try JSON.decode(User.self, from: response)
            }
        }
        #expect(user.email == "linus@example.com")
        // Typed decoding straight from the row the route wrote.
        let stored = try await IsolatedDatabase.current.database
            .query("SELECT id, email, name FROM users WHERE email = \("linus@example.com")").decode(User.self)
        #expect(stored == [user])
    }

    @Test func takenEmailIsConflict() async throws {
        try await TestApp.run { client in
            let body = try JSON.body(NewUser(email: "twice@example.com", name: "Twice"))
            try await client.execute(uri: "/users", method: .post, body: body) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/users", method: .post, body: body) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("email already registered"))
            }
        }
        let count = try await IsolatedDatabase.current.value(
            "SELECT count(*) FROM users WHERE email = \("twice@example.com")", as: Int.self)
        #expect(count == 1)
    }

    @Test(.fixtures("users"))
    func fixtureEmailIsTaken() async throws {
        try await TestApp.run { client in
            let body = try JSON.body(NewUser(email: "ada@example.com", name: "Another Ada"))
            try await client.execute(uri: "/users", method: .post, body: body) { response in
                #expect(response.status == .conflict)
            }
        }
    }

    @Test func malformedBodyIsBadRequest() async throws {
        try await TestApp.run { client in
            try await client.execute(uri: "/users", method: .post, body: ByteBuffer(string: "{\"email\": 1}")) {
                response in
                #expect(response.status == .badRequest)
            }
        }
    }
}
