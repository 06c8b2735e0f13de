/// What runs SQL: a ``Database`` (pooled, or pinned to one connection inside
/// `transaction`/`withConnection`) or a bare ``Connection``. The conveniences
/// below (`value`, `execute`, typed `query`) work on both.
public protocol QueryExecutor: Sendable {
    /// Runs one statement and returns its rows.
    func query(_ sql: SQL, file: String, line: Int) async throws -> Rows
    /// Runs many statements with the simple protocol (no binds).
    func execute(script: String, file: String, line: Int) async throws
}

extension QueryExecutor {
    /// The first column of the first row.
    ///
    /// No row throws ``PostgresError/Code/noRows``, unless `T` is optional (then nil).
    ///
    /// ```swift
    /// let id: Int = try await db.value("INSERT INTO users (email) VALUES (\(email)) RETURNING id")
    /// let name = try await db.value("SELECT name FROM users WHERE id = \(id)", as: String?.self)
    /// ```
    public func value<T: PostgresDecodable>(
        _ sql: SQL, as type: T.Type = T.self, file: String = #fileID, line: Int = #line
    ) async throws -> T {
        let rows = try await query(sql, file: file, line: line)
        guard let row = rows.first else {
            if let none = try? T.decodeNull(type: .unspecified) { return none }
            var error = PostgresError(code: .noRows, message: "the query returned no rows")
            error.query = sql.text
            error.file = file
            error.line = line
            throw error
        }
        return try row.decode(type, at: 0)
    }

    /// Runs a statement and returns the number of rows it affected.
    ///
    /// ```swift
    /// let deleted = try await db.execute("DELETE FROM users WHERE id = \(id)")
    /// try await db.execute("CREATE TABLE \(identifier: name) (id int)")
    /// ```
    @discardableResult
    public func execute(_ sql: SQL, file: String = #fileID, line: Int = #line) async throws -> Int {
        try await query(sql, file: file, line: line).affectedRows
    }
}

extension Connection: QueryExecutor {}
