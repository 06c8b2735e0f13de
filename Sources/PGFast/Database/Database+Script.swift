import Foundation

extension Database {
    /// Runs a split SQL file statement by statement (templates rendered, `COPY`
    /// data sent), so an error names the file and the line of the statement,
    /// mapped from the server's error position.
    ///
    /// Runs in the current transaction when called on a pinned handle; wrap it in
    /// ``transaction(level:readOnly:isolation:_:)`` to make the file atomic. Inside a
    /// transaction the statements go out pipelined, a batch a round trip (a file of
    /// 20,000 `INSERT`s is not 20,000 round trips); outside one, each runs on its own,
    /// as psql runs them, so a statement that refuses a transaction block still can.
    ///
    /// ```swift
    /// try await db.execute(try SQLScript(contentsOf: URL(filePath: "db/seed.sql")))
    /// ```
    public func execute(_ script: SQLScript, file: String = #fileID, line: Int = #line) async throws {
        try await withConnection { db in
            let connection = db.connection!
            var batch: [SQLScript.Statement] = []
            func flush() async throws {
                defer { batch.removeAll(keepingCapacity: true) }
                guard !batch.isEmpty else { return }
                let failure = try await connection.executeScriptStatements(
                    batch.map { db.render($0.text) }, file: file, line: line)
                if let (index, error) = failure { throw Self.located(error, at: batch[index], in: script) }
            }
            // Only a statement run on its own can begin or end the transaction: look again after each.
            var inTransaction = await connection.isInTransactionBlock
            for statement in script.statements {
                if statement.runsInPipeline, inTransaction {
                    batch.append(statement)
                    if batch.count == Self.scriptBatchSize { try await flush() }
                    continue
                }
                try await flush()
                let text = db.render(statement.text)
                do {
                    if let data = statement.copyData {
                        try await connection.copy(text, data: data, file: file, line: line)
                    } else {
                        try await connection.execute(script: text, file: file, line: line)
                    }
                } catch let error as PostgresError {
                    throw Self.located(error, at: statement, in: script)
                }
                inTransaction = await connection.isInTransactionBlock
            }
            try await flush()
        }
    }

    /// Statements a pipeline holds at most: their results are kept until its end.
    static let scriptBatchSize = 1000

    /// `error` with the file and the line of the statement it came from.
    private static func located(_ error: PostgresError, at statement: SQLScript.Statement, in script: SQLScript)
        -> PostgresError
    {
        var error = error
        error.sourceFile = script.fileName
        error.sourceLine = error.position.map(statement.line(forPosition:)) ?? statement.line
        return error
    }
}

extension SQLScript.Statement {
    /// Whether the statement may go out in a pipeline inside a transaction: not `COPY`
    /// (its data is streamed), not transaction control (it would change what the
    /// statements after it run in), not `PREPARE`/`EXECUTE` (whose `$n` are their own).
    /// Read from the first word: the splitter starts a statement at its first token.
    var runsInPipeline: Bool {
        copyData == nil && !Self.unpipelinedKeywords.contains(text.prefix(while: \.isLetter).uppercased())
    }

    private static let unpipelinedKeywords: Set<String> = [
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE",
        "EXECUTE", "DEALLOCATE", "COPY", "VACUUM", "DISCARD", "CHECKPOINT",
    ]
}
