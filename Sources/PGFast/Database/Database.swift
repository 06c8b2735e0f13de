import Logging

/// The handle apps use: SQL in, rows out, on a pool it owns or shares.
///
/// A `Database` may be scoped to a schema: `{{tables.users}}` in its SQL then
/// renders as `"schema"."users"`, and the schema is created on first use.
/// Inside ``transaction(level:readOnly:isolation:_:)``, ``withConnection(isolation:_:)``
/// and ``withSettings(_:isolation:_:)`` the closure gets a `Database` pinned
/// to one connection.
///
/// ```swift
/// let pool = try await ConnectionPool(config)
/// let users = Database(pool: pool, schema: "users")
/// let id: Int = try await users.value(
///     "INSERT INTO {{tables.users}} (email) VALUES (\(email)) RETURNING id")
/// ```
public struct Database: QueryExecutor, Sendable {
    /// The pool this handle runs on.
    public let pool: ConnectionPool
    /// The schema `{{tables.x}}` renders into; nil renders unqualified names.
    public let schema: String?
    /// The connection this handle is pinned to, inside a transaction or `withConnection`.
    public let connection: Connection?
    let transactionDepth: Int
    /// Whether ``close()`` (and a ``DatabaseService`` at shutdown) closes ``pool``: true for a
    /// handle made by ``connect(_:schema:logger:)``, false for one sharing a pool.
    public let ownsPool: Bool

    /// A handle sharing `pool`, optionally scoped to `schema`.
    ///
    /// ```swift
    /// let orders = Database(pool: pool, schema: "orders")
    /// ```
    public init(pool: ConnectionPool, schema: String? = nil) {
        self.init(pool: pool, schema: schema, connection: nil, transactionDepth: 0, ownsPool: false)
    }

    private init(
        pool: ConnectionPool, schema: String?, connection: Connection?, transactionDepth: Int, ownsPool: Bool
    ) {
        self.pool = pool
        self.schema = schema
        self.connection = connection
        self.transactionDepth = transactionDepth
        self.ownsPool = ownsPool
    }

    /// Opens a pool of its own; ``close()`` closes it.
    ///
    /// In a service (a Hummingbird app), hand the handle to a ``DatabaseService``, which
    /// closes the pool when the service group shuts down. In a script, prefer
    /// ``connect(_:schema:logger:_:)``, which closes it when its block ends.
    ///
    /// ```swift
    /// let db = try await Database.connect(try DatabaseConfig(url: "postgresql://app@localhost/app"))
    /// let app = Application(router: router, services: [DatabaseService(db)])
    /// try await app.runService()   // the pool closes at shutdown
    /// ```
    public static func connect(
        _ config: DatabaseConfig, schema: String? = nil, logger: Logger = Logger(label: "pgfast")
    ) async throws -> Database {
        let pool = try await ConnectionPool(config, logger: logger)
        return Database(pool: pool, schema: schema, connection: nil, transactionDepth: 0, ownsPool: true)
    }

    /// Connects, runs `body`, and closes the pool whether `body` returns or throws:
    /// for scripts, commands and tests that need a database for a while.
    ///
    /// ```swift
    /// let count = try await Database.connect(config) { db in
    ///     try await db.value("SELECT count(*) FROM users", as: Int.self)
    /// }
    /// ```
    @discardableResult
    public static func connect<Result>(
        _ config: DatabaseConfig, schema: String? = nil, logger: Logger = Logger(label: "pgfast"),
        _ body: (Database) async throws -> Result
    ) async throws -> Result {
        let db = try await connect(config, schema: schema, logger: logger)
        do {
            let result = try await body(db)
            await db.close()
            return result
        } catch {
            await db.close()
            throw error
        }
    }

    /// The same pool (and pinned connection, if any) scoped to another schema.
    ///
    /// ```swift
    /// let billing = db.scoped(to: "billing")
    /// ```
    public func scoped(to schema: String?) -> Database {
        Database(
            pool: pool, schema: schema, connection: connection, transactionDepth: transactionDepth,
            ownsPool: false)
    }

    /// Closes the pool if this handle opened it; a shared pool is left to its owner.
    public func close() async {
        if ownsPool { await pool.close() }
    }

    /// `text` with `{{tables.x}}` and `{{schema}}` rendered for this handle's schema.
    ///
    /// ```swift
    /// Database(pool: pool, schema: "users").render("SELECT * FROM {{tables.users}}")
    /// // SELECT * FROM "users"."users"
    /// ```
    public func render(_ text: String) -> String {
        SQL.renderTemplates(text, schema: schema)
    }

    // MARK: - Statements

    /// Runs one statement and returns its rows.
    ///
    /// ```swift
    /// let rows = try await users.query("SELECT id, email FROM {{tables.users}} WHERE id > \(minID)")
    /// for row in rows { let (id, email) = try row.decode((Int, String?).self) }
    /// ```
    public func query(_ sql: SQL, file: String = #fileID, line: Int = #line) async throws -> Rows {
        let sql = sql.rendered(schema: schema)
        if let connection { return try await connection.query(sql, file: file, line: line) }
        let connection = try await pool.acquire()
        do {
            try await ensureSchema(on: connection)
            #if os(Linux)
                // The statement runs on this task's thread (non-blocking libpq and
                // the socket reactor), not on the connection's: no thread hops.
                let rows = try await connection.runLeased(sql, file: file, line: line)
            #else
                let rows = try await connection.query(sql, file: file, line: line)
            #endif
            pool.release(connection)
            return rows
        } catch {
            pool.release(connection)
            throw error
        }
    }

    /// Runs many statements with the simple protocol (no binds), templates rendered.
    ///
    /// ```swift
    /// try await db.execute(script: "CREATE TABLE {{tables.a}} (id int); CREATE TABLE {{tables.b}} (id int);")
    /// ```
    public func execute(script: String, file: String = #fileID, line: Int = #line) async throws {
        let script = render(script)
        if let connection { return try await connection.execute(script: script, file: file, line: line) }
        try await withConnection { db in
            try await db.connection!.execute(script: script, file: file, line: line)
        }
    }

    /// Sends statements in one pipeline (one round trip); they run as one implicit transaction.
    ///
    /// ```swift
    /// let results = try await db.pipeline(["SELECT \(1)", "SELECT \(2)"])
    /// ```
    public func pipeline(_ statements: [SQL], file: String = #fileID, line: Int = #line) async throws -> [Rows] {
        let statements = statements.map { $0.rendered(schema: schema) }
        return try await withConnection { db in
            try await db.connection!.pipeline(statements, file: file, line: line)
        }
    }

    // MARK: - Pinned work

    /// Runs `body` on one connection (pinned), returned to the pool afterwards.
    ///
    /// ```swift
    /// try await db.withConnection { db in
    ///     try await db.execute("SET LOCAL work_mem = '64MB'")
    /// }
    /// ```
    @discardableResult
    public func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Database) async throws -> Result
    ) async throws -> Result {
        if connection != nil { return try await body(self) }
        return try await pool.withConnection { connection in
            try await ensureSchema(on: connection)
            return try await body(pinned(to: connection, depth: 0))
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when
    /// it throws. Nested calls use savepoints.
    ///
    /// ```swift
    /// try await users.transaction { tx in
    ///     let id: Int = try await tx.value("INSERT INTO {{tables.users}} (email) VALUES (\(email)) RETURNING id")
    ///     try await tx.execute("INSERT INTO {{tables.profiles}} (user_id) VALUES (\(id))")
    /// }
    /// ```
    @discardableResult
    public func transaction<Result>(
        level: IsolationLevel? = nil, readOnly: Bool = false,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Database) async throws -> Result
    ) async throws -> Result {
        try await withConnection { db in
            let connection = db.connection!
            if db.transactionDepth > 0 {
                let savepoint = "pgfast_savepoint_\(db.transactionDepth)"
                try await connection.execute(script: "SAVEPOINT \(savepoint)")
                do {
                    let result = try await body(db.pinned(to: connection, depth: db.transactionDepth + 1))
                    try await connection.execute(script: "RELEASE SAVEPOINT \(savepoint)")
                    return result
                } catch {
                    await connection.rollback(toSavepoint: savepoint)
                    throw error
                }
            }
            var begin = "BEGIN"
            if let level { begin += " ISOLATION LEVEL \(level.sql)" }
            if readOnly { begin += " READ ONLY" }
            try await connection.execute(script: begin)
            do {
                let result = try await body(db.pinned(to: connection, depth: 1))
                try await connection.execute(script: "COMMIT")
                return result
            } catch {
                await connection.rollback()
                throw error
            }
        }
    }

    /// Runs `body` in a transaction with session variables set by
    /// `set_config(key, value, true)`: they vanish at its end, which keeps
    /// row-level security safe behind PgBouncer's transaction pooling.
    ///
    /// ```swift
    /// try await db.withSettings(["app.tenant_id": tenant]) { tx in
    ///     try await tx.query("SELECT * FROM items")   // RLS policies see current_setting('app.tenant_id')
    /// }
    /// ```
    @discardableResult
    public func withSettings<Result>(
        _ settings: [String: String],
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Database) async throws -> Result
    ) async throws -> Result {
        try await transaction { tx in
            let pairs = settings.sorted { $0.key < $1.key }
            if !pairs.isEmpty {
                let calls = pairs.map { key, value in SQL("set_config(\(key), \(value), true)") }
                _ = try await tx.query("SELECT " + SQL.joined(calls, separator: ", "))
            }
            return try await body(tx)
        }
    }

    private func pinned(to connection: Connection, depth: Int) -> Database {
        Database(pool: pool, schema: schema, connection: connection, transactionDepth: depth, ownsPool: false)
    }

    /// Creates this handle's schema the first time the pool serves it.
    private func ensureSchema(on connection: Connection) async throws {
        guard let schema, !pool.isSchemaReady(schema) else { return }
        do {
            try await connection.execute("CREATE SCHEMA IF NOT EXISTS \(identifier: schema)")
        } catch let error as PostgresError
            where error.sqlState == .uniqueViolation || error.sqlState == .duplicateSchema
        {
            // Another connection created it at the same moment.
        }
        pool.markSchemaReady(schema)
    }
}

/// A transaction's isolation level.
public enum IsolationLevel: String, Sendable {
    case readCommitted, repeatableRead, serializable

    var sql: String {
        switch self {
        case .readCommitted: "READ COMMITTED"
        case .repeatableRead: "REPEATABLE READ"
        case .serializable: "SERIALIZABLE"
        }
    }
}
