import Foundation

extension Database {
    /// Runs a split SQL file statement by statement (templates rendered, `COPY`
    /// data sent), so an error names the file and the line of the statement,
    /// mapped from the server's error position.
    ///
    /// Runs in the current transaction when called on a pinned handle; wrap it in
    /// ``transaction(level:readOnly:isolation:_:)`` to make the file atomic.
    ///
    /// ```swift
    /// try await db.execute(try SQLScript(contentsOf: URL(filePath: "db/seed.sql")))
    /// ```
    public func execute(_ script: SQLScript, file: String = #fileID, line: Int = #line) async throws {
        try await withConnection { db in
            let connection = db.connection!
            for statement in script.statements {
                let text = db.render(statement.text)
                do {
                    if let data = statement.copyData {
                        try await connection.copy(text, data: data, file: file, line: line)
                    } else {
                        try await connection.execute(script: text, file: file, line: line)
                    }
                } catch var error as PostgresError {
                    error.sourceFile = script.fileName
                    error.sourceLine = error.position.map(statement.line(forPosition:)) ?? statement.line
                    throw error
                }
            }
        }
    }
}
