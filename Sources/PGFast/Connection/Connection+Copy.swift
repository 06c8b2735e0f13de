import CLibPQ

extension Connection {
    /// Runs `COPY … FROM stdin` and sends `data` (text format, as `pg_dump` writes it).
    /// Returns the number of rows copied.
    ///
    /// ```swift
    /// try await connection.copy("COPY users (id, email) FROM stdin", data: "1\ta@example.com\n2\t\\N\n")
    /// ```
    @discardableResult
    public func copy(_ statement: String, data: String, file: String = #fileID, line: Int = #line) async throws
        -> Int
    {
        try NULByte.check(statement, file: file, line: line)
        let handle = try openHandle()
        let result = try await self.statement(statement) { handle in runCopy(handle, statement, data) }
        let checked = try check(result, handle: handle, text: statement, binds: [], file: file, line: line)
        let rows = QueryResult(taking: checked).affectedRows
        return rows
    }

    private func runCopy(_ handle: OpaquePointer, _ statement: String, _ data: String) -> OpaquePointer? {
        guard let start = PQexec(handle, statement) else { return nil }
        guard PQresultStatus(start) == PGRES_COPY_IN else { return start }
        PQclear(start)
        var bytes = Array(data.utf8)
        if !bytes.isEmpty, bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        // Send in chunks so a large block never needs one giant buffer in libpq.
        let chunk = 1 << 16
        var offset = 0
        var failed = false
        while offset < bytes.count, !failed {
            let end = min(offset + chunk, bytes.count)
            failed = bytes[offset..<end].withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    PQputCopyData(handle, $0.baseAddress, Int32($0.count)) != 1
                }
            }
            offset = end
        }
        _ = PQputCopyEnd(handle, failed ? "pgfast: sending COPY data failed" : nil)
        var last: OpaquePointer?
        while let result = PQgetResult(handle) {
            if let last { PQclear(last) }
            last = result
        }
        return last
    }
}
