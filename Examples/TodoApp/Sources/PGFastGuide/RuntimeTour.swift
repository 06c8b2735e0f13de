import Foundation
import PGFast

// Code the PGFast DocC articles quote: compiled by the example's build, run by its tests.

/// Configuration from a URL or the environment.
public func makeConfig() throws -> DatabaseConfig {
    var config = try DatabaseConfig(url: "postgresql://app@localhost:5432/app")
    config.minConnections = 2
    config.maxConnections = 20
    config.acquireTimeout = .seconds(5)
    config.statementTimeout = .seconds(60)
    config.applicationName = "todo"
    config.slowQueryThreshold = .milliseconds(100)
    return config
}

/// One shared pool, schema-scoped handles on it.
public func schemaScopedHandles(pool: ConnectionPool) -> (users: Database, billing: Database) {
    let users = Database(pool: pool, schema: "users")
    let billing = Database(pool: pool, schema: "billing")
    return (users, billing)
}

/// Values bind as `$n` parameters; rows decode by position or by column name.
public func queriesAndValues(_ db: Database) async throws -> (count: Int, titles: [String]) {
    let minimum = 0
    let count: Int = try await db.value("SELECT count(*) FROM todos WHERE id > \(minimum)")
    var titles: [String] = []
    for row in try await db.query("SELECT id, title, completed_at FROM todos ORDER BY id") {
        let (id, title, completedAt) = try row.decode((Int, String, Date?).self)
        titles.append("\(id): \(title)\(completedAt == nil ? "" : " (done)")")
    }
    return (count, titles)
}

/// A `Decodable` type, columns matched by name (snake case converted when asked).
public struct TodoRow: Decodable, Sendable {
    public var id: Int
    public var userId: Int
    public var title: String
    public var completedAt: Date?
}

public func decodeByColumnName(_ db: Database) async throws -> [TodoRow] {
    try await db.query("SELECT id, user_id, title, completed_at FROM todos ORDER BY id")
        .decode(TodoRow.self, options: .convertFromSnakeCase)
}

/// Commit on return, roll back on throw; the closure's value is the transaction's.
public func moveTodos(_ db: Database, from source: Int, to target: Int) async throws -> Int {
    try await db.transaction { tx in
        let moved = try await tx.execute("UPDATE todos SET user_id = \(target) WHERE user_id = \(source)")
        try await tx.execute("DELETE FROM users WHERE id = \(source)")
        return moved
    }
}

/// Arrays, UUIDs, JSON through a wrapper, NULL through `Optional`.
public struct Preferences: Codable, Sendable, Equatable {
    public var theme: String
    public var reminders: Bool

    public init(theme: String, reminders: Bool) {
        self.theme = theme
        self.reminders = reminders
    }
}

public func richValues(_ db: Database) async throws -> Preferences {
    let ids: [Int] = [1, 2, 3]
    let token = UUID()
    let note: String? = nil
    let prefs = Preferences(theme: "dark", reminders: true)
    let row = try await db.query(
        "SELECT \(ids)::int8[] AS ids, \(token) AS token, \(note)::text AS note, \(PostgresJSON(prefs)) AS prefs"
    )[0]
    let stored = try row.decode(PostgresJSON<Preferences>.self, column: "prefs").value
    return stored
}

/// The SQLSTATE of a server error, for mapping to an answer.
public func createUserOnce(_ db: Database, email: String) async throws -> Bool {
    do {
        try await db.execute("INSERT INTO users (email, name) VALUES (\(email), 'n')")
        return true
    } catch let error as PostgresError where error.sqlState == .uniqueViolation {
        return false  // error.constraint == "users_email_key"
    }
}

/// Session settings for row-level security, safe behind PgBouncer's transaction pooling.
public func asTenant(_ db: Database, tenant: String) async throws -> String {
    try await db.withSettings(["app.tenant_id": tenant]) { tx in
        try await tx.value("SELECT current_setting('app.tenant_id')", as: String.self)
    }
}

/// Identifiers are quoted, scripts run with the simple protocol.
public func scriptsAndIdentifiers(_ db: Database, table: String) async throws {
    try await db.execute("CREATE TABLE \(identifier: table) (id int)")
    try await db.execute(script: "INSERT INTO \"\(table)\" VALUES (1); INSERT INTO \"\(table)\" VALUES (2);")
}

/// What the pool is doing.
public func poolReport(_ pool: ConnectionPool) async -> String {
    let metrics = await pool.metrics
    return "open \(metrics.open), in use \(metrics.inUse), waiting \(metrics.waiting), slow \(metrics.slowQueries)"
}
