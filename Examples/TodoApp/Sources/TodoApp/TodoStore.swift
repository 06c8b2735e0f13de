import PGFast

/// The app's SQL, on whatever `Database` it is given: the production pool, or a
/// test's isolated database.
public struct TodoStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Inserts a user; a taken email fails with the unique violation on `users_email_key`.
    public func createUser(_ user: NewUser) async throws -> User {
        let rows = try await database.query(
            "INSERT INTO users (email, name) VALUES (\(user.email), \(user.name)) RETURNING id, email, name")
        return try rows[0].decode(User.self)
    }

    /// Inserts a todo; an unknown user fails with the foreign-key violation on `todos_user_id_fkey`.
    public func createTodo(_ todo: NewTodo, userID: Int) async throws -> Todo {
        let rows = try await database.query(
            """
            INSERT INTO todos (user_id, title) VALUES (\(userID), \(todo.title))
            RETURNING id, user_id, title, completed_at
            """)
        return try rows[0].decode(Todo.self)
    }

    /// The user's todos, oldest first; nil when there is no such user. One read-only
    /// transaction, so the answer is one snapshot.
    public func todos(userID: Int) async throws -> [Todo]? {
        try await database.transaction(readOnly: true) { tx in
            let users = try await tx.value("SELECT count(*) FROM users WHERE id = \(userID)", as: Int.self)
            guard users == 1 else { return nil }
            return try await tx.query(
                "SELECT id, user_id, title, completed_at FROM todos WHERE user_id = \(userID) ORDER BY id"
            ).decode(Todo.self)
        }
    }

    /// Marks a todo done (keeping the first completion time); nil when there is no such todo.
    public func complete(todoID: Int) async throws -> Todo? {
        let rows = try await database.query(
            """
            UPDATE todos SET completed_at = coalesce(completed_at, now()) WHERE id = \(todoID)
            RETURNING id, user_id, title, completed_at
            """)
        return try rows.first?.decode(Todo.self)
    }
}
