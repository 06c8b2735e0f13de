import PostgresNIO

/// A schema change written in Swift on postgres-nio, shaped like hummingbird-postgres's
/// `DatabaseMigration` (`apply(connection:logger:)` and a name).
public protocol TodoMigration: Sendable {
    var name: String { get }
    func apply(connection: PostgresConnection, logger: Logger) async throws
}

/// The app's migrations, in order; the app runs them at start-up, the tests once per template.
public enum TodoMigrations {
    public static let all: [any TodoMigration] = [CreateTodos(), AddDueDates()]

    /// Applies every migration, each in a transaction of its own.
    public static func apply(client: PostgresClient, logger: Logger) async throws {
        for migration in all {
            try await client.withTransaction(logger: logger) { connection in
                try await migration.apply(connection: connection, logger: logger)
            }
        }
    }
}

struct CreateTodos: TodoMigration {
    var name: String { "create_todos" }

    func apply(connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            CREATE TABLE todos (
                id uuid PRIMARY KEY,
                title text NOT NULL,
                completed bool NOT NULL DEFAULT false
            )
            """, logger: logger)
    }
}

struct AddDueDates: TodoMigration {
    var name: String { "add_due_dates" }

    func apply(connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("ALTER TABLE todos ADD COLUMN due timestamptz", logger: logger)
        try await connection.query("CREATE INDEX todos_due ON todos (due) WHERE NOT completed", logger: logger)
    }
}
