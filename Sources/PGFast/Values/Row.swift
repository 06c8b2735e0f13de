/// One row of a query result.
///
/// Decode by position into a tuple, one column by name or index, or a whole
/// `Decodable` type by column name:
///
/// ```swift
/// for row in try await db.query("SELECT id, email FROM users") {
///     let (id, email) = try row.decode((Int, String?).self)
///     let sameEmail = try row.decode(String?.self, column: "email")
/// }
/// ```
public struct Row: Sendable {
    let result: QueryResult
    /// The row's position in its result, from 0.
    public let index: Int

    init(result: QueryResult, index: Int) {
        self.result = result
        self.index = index
    }

    /// The result's columns, in order.
    public var columns: [Column] { result.columns }

    /// Decodes the first columns into a tuple, by position.
    ///
    /// ```swift
    /// let (id, email) = try row.decode((Int, String?).self)
    /// ```
    public func decode<each Value: PostgresDecodable>(
        _ type: (repeat each Value).Type
    ) throws -> (repeat each Value) {
        var column = 0
        func next<T: PostgresDecodable>(_: T.Type) throws -> T {
            defer { column += 1 }
            return try decode(T.self, at: column)
        }
        let expected = countPack(repeat (each Value).self)
        guard expected <= result.columns.count else {
            throw PostgresError.decoding(
                "row has \(result.columns.count) column(s) but \(expected) were requested "
                    + "as \(String(describing: type))")
        }
        return (repeat try next((each Value).self))
    }

    /// Decodes the column at `index` (from 0).
    ///
    /// ```swift
    /// let id = try row.decode(Int.self, at: 0)
    /// ```
    public func decode<T: PostgresDecodable>(_ type: T.Type, at column: Int) throws -> T {
        guard column >= 0, column < result.columns.count else {
            throw PostgresError.decoding(
                "column index \(column) is out of range: the row has \(result.columns.count) column(s)")
        }
        let info = result.columns[column]
        do {
            guard let bytes = result.bytes(row: index, column: column) else {
                return try T.decodeNull(type: info.type)
            }
            return try T(postgresBytes: bytes, type: info.type)
        } catch let failure as PostgresDecodingFailure {
            throw PostgresError.decoding(failure, column: info, index: column, swiftType: T.self)
        }
    }

    /// Decodes the column named `name`.
    ///
    /// ```swift
    /// let email = try row.decode(String?.self, column: "email")
    /// ```
    public func decode<T: PostgresDecodable>(_ type: T.Type, column name: String) throws -> T {
        guard let column = result.index(ofColumn: name) else {
            throw PostgresError.decoding(
                "no column named \"\(name)\"; the row has "
                    + result.columns.map { "\"\($0.name)\"" }.joined(separator: ", "))
        }
        return try decode(type, at: column)
    }

    /// Whether the column at `index` is NULL.
    public func isNull(at column: Int) -> Bool {
        result.bytes(row: index, column: column) == nil
    }
}

private func countPack<each T>(_ types: repeat (each T).Type) -> Int {
    var count = 0
    for _ in repeat each types { count += 1 }
    return count
}

/// The rows of a query result, with the number of rows the statement affected.
///
/// ```swift
/// let rows = try await db.query("SELECT id, email FROM users")
/// let pairs = try rows.decode((Int, String).self)   // [(Int, String)]
/// ```
public struct Rows: Sendable, RandomAccessCollection {
    let result: QueryResult

    init(result: QueryResult) { self.result = result }

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.rowCount }
    public subscript(position: Int) -> Row { Row(result: result, index: position) }

    /// The result's columns, in order.
    public var columns: [Column] { result.columns }

    /// Rows inserted, updated, deleted, selected or copied, as the server reports it.
    public var affectedRows: Int { result.affectedRows }

    /// Decodes every row into a tuple, by position.
    public func decode<each Value: PostgresDecodable>(
        _ type: (repeat each Value).Type
    ) throws -> [(repeat each Value)] {
        var values: [(repeat each Value)] = []
        values.reserveCapacity(count)
        for row in self { values.append(try row.decode(type)) }
        return values
    }
}
