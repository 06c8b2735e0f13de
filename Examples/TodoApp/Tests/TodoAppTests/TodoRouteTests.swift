import Foundation
import HummingbirdTesting
import PGFastTesting
import Testing
import TodoApp

@Suite(.todoDatabase)
struct TodoRouteTests {
    /// The id of a fixture user.
    func userID(_ email: String) async throws -> Int {
        try await IsolatedDatabase.current.value("SELECT id FROM users WHERE email = \(email)", as: Int.self)
    }

    @Test(.fixtures("users", "todos"))
    func listsFixtureTodos() async throws {
        let ada = try await userID("ada@example.com")
        let grace = try await userID("grace@example.com")
        try await TestApp.run { client in
            try await client.execute(uri: "/users/\(ada)/todos", method: .get) { response in
                #expect(response.status == .ok)
                let todos = try JSON.decode([Todo].self, from: response)
                #expect(todos.map(\.title) == ["Write the first program", "Read Menabrea's notes"])
                #expect(todos.map(\.isCompleted) == [false, true])
            }
            try await client.execute(uri: "/users/\(grace)/todos", method: .get) { response in
                let todos = try JSON.decode([Todo].self, from: response)
                #expect(todos.isEmpty)
            }
        }
    }

    @Test(.fixtures("users"))
    func createsAndCompletesTodo() async throws {
        let grace = try await userID("grace@example.com")
        try await TestApp.run { client in
            let todo = try await client.execute(
                uri: "/users/\(grace)/todos", method: .post, body: try JSON.body(NewTodo(title: "Find the moth"))
            ) { response in
                #expect(response.status == .created)
                return try JSON.decode(Todo.self, from: response)
            }
            #expect(todo.userID == grace)
            #expect(!todo.isCompleted)
            try await client.execute(uri: "/todos/\(todo.id)/complete", method: .post) { response in
                #expect(response.status == .ok)
                let completed = try JSON.decode(Todo.self, from: response)
                #expect(completed.isCompleted)
            }
        }
        let done = try await IsolatedDatabase.current.value(
            "SELECT count(*) FROM todos WHERE completed_at IS NOT NULL", as: Int.self)
        #expect(done == 1)
    }

    @Test func todoForUnknownUserIsNotFound() async throws {
        try await TestApp.run { client in
            // The foreign key refuses the row; the app answers 404, not 500.
            try await client.execute(
                uri: "/users/424242/todos", method: .post, body: try JSON.body(NewTodo(title: "orphan"))
            ) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("no such user"))
            }
            try await client.execute(uri: "/users/424242/todos", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(try await IsolatedDatabase.current.value("SELECT count(*) FROM todos", as: Int.self) == 0)
    }

    @Test(.fixtures("users"))
    func blankTitleIsUnprocessable() async throws {
        let ada = try await userID("ada@example.com")
        try await TestApp.run { client in
            try await client.execute(
                uri: "/users/\(ada)/todos", method: .post, body: try JSON.body(NewTodo(title: "   "))
            ) { response in
                #expect(response.status == .unprocessableContent)
            }
        }
    }

    @Test func completingUnknownTodoIsNotFound() async throws {
        try await TestApp.run { client in
            try await client.execute(uri: "/todos/9999/complete", method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
