import Foundation
import PGFastTesting
import PostgresNIO
import Testing
import TodoSchema

// snippet.start tests
/// Each test runs on its own clone of the template the app's migrations built.
@Suite(.isolatedDatabase(template: .todos))
struct TodoRepositoryTests {
    /// The app's repository on a postgres-nio client connected to this test's database.
    func withRepository(_ body: (TodoRepository) async throws -> Void) async throws {
        let logger = Logger(label: "todo-tests")
        let url = try IsolatedDatabase.current.url
        let client = PostgresClient(configuration: try .init(url: url), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(TodoRepository(client: client, logger: logger))
        }
    }

    @Test func listsOpenTodosSoonestFirst() async throws {
        try await withRepository { todos in
            try await todos.add(title: "Later", due: Date(timeIntervalSinceNow: 7200))
            try await todos.add(title: "Soon", due: Date(timeIntervalSinceNow: 60))
            try await todos.add(title: "Whenever")
            #expect(try await todos.open() == ["Soon", "Later", "Whenever"])
        }
    }

    @Test func completedTodosAreNotOpen() async throws {
        try await withRepository { todos in
            let id = try await todos.add(title: "Write the tests")
            try await todos.complete(id)
            #expect(try await todos.open().isEmpty)
        }
        // PGFast's own handle reaches the same database.
        let db = try IsolatedDatabase.current.database
        #expect(try await db.value("SELECT count(*) FROM todos WHERE completed", as: Int.self) == 1)
    }

    /// Parallel tests never see each other's rows: every one starts from the empty schema.
    @Test(arguments: 1...4)
    func startsEmpty(count: Int) async throws {
        try await withRepository { todos in
            #expect(try await todos.open().isEmpty)
            for index in 1...count { try await todos.add(title: "todo \(index)") }
            #expect(try await todos.open().count == count)
        }
    }
}
// snippet.end
