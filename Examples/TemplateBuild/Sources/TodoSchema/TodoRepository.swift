import Foundation
import PostgresNIO

/// The app's data access, on postgres-nio: what the tests exercise.
public struct TodoRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    @discardableResult
    public func add(title: String, due: Date? = nil) async throws -> UUID {
        let id = UUID()
        try await client.query(
            "INSERT INTO todos (id, title, due) VALUES (\(id), \(title), \(due))", logger: logger)
        return id
    }

    public func complete(_ id: UUID) async throws {
        try await client.query("UPDATE todos SET completed = true WHERE id = \(id)", logger: logger)
    }

    /// Titles of the open todos, soonest due first.
    public func open() async throws -> [String] {
        let rows = try await client.query(
            "SELECT title FROM todos WHERE NOT completed ORDER BY due NULLS LAST, title", logger: logger)
        var titles: [String] = []
        for try await title in rows.decode(String.self) { titles.append(title) }
        return titles
    }
}
