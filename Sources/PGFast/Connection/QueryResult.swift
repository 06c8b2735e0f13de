import CLibPQ

/// Owns one libpq `PGresult` and frees it when the last row referring to it is gone.
///
/// `@unchecked Sendable`: a `PGresult` is immutable once libpq hands it over, and
/// libpq documents it as safe to read from any thread; PGFast never mutates it.
final class QueryResult: @unchecked Sendable {
    let handle: OpaquePointer
    let rowCount: Int
    let columns: [Column]
    /// Column index by name for wide results, the first column of each name
    /// winning (as in SQL); narrow ones are searched in order, which is faster
    /// than hashing and spares every small query a dictionary.
    private let wideIndex: [String: Int]?

    init(taking handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
        let count = Int(PQnfields(handle))
        var columns: [Column] = []
        columns.reserveCapacity(count)
        for i in 0..<count {
            columns.append(
                Column(
                    name: String(cString: PQfname(handle, Int32(i))), type: PostgresType(PQftype(handle, Int32(i))),
                    tableOID: PQftable(handle, Int32(i))))
        }
        self.columns = columns
        if count > Self.linearSearchLimit {
            var index: [String: Int] = [:]
            for (i, column) in columns.enumerated() where index[column.name] == nil { index[column.name] = i }
            wideIndex = index
        } else {
            wideIndex = nil
        }
    }

    static let linearSearchLimit = 8

    /// The first column named `name`.
    @inline(__always)
    func index(ofColumn name: String) -> Int? {
        if let wideIndex { return wideIndex[name] }
        return columns.firstIndex { $0.name == name }
    }

    /// Rows the statement affected (from the command tag), read when asked for.
    var affectedRows: Int {
        PQcmdTuples(handle).flatMap { Int(String(cString: $0)) } ?? 0
    }

    deinit { PQclear(handle) }

    /// The raw bytes of one cell, or nil for NULL. Valid while `self` is alive.
    @inline(__always)
    func bytes(row: Int, column: Int) -> UnsafeRawBufferPointer? {
        if PQgetisnull(handle, Int32(row), Int32(column)) != 0 { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        let pointer = PQgetvalue(handle, Int32(row), Int32(column))
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }
}

/// A result column: its name and PostgreSQL type.
public struct Column: Sendable, Hashable {
    public var name: String
    public var type: PostgresType
    /// The OID of the table the column comes from, 0 for computed columns.
    public var tableOID: UInt32
}
