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
            for statement in script.statements {
                if statement.runsInPipeline, await connection.isInTransactionBlock {
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
    var runsInPipeline: Bool {
        guard copyData == nil else { return false }
        let keyword = firstKeyword
        return !Self.unpipelinedKeywords.contains(keyword)
    }

    private static let unpipelinedKeywords: Set<String> = [
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE",
        "EXECUTE", "DEALLOCATE", "COPY", "VACUUM", "DISCARD", "CHECKPOINT",
    ]

    /// The statement's first word, uppercased, after any leading comments.
    var firstKeyword: String {
        var rest = Substring(text)
        while true {
            rest = rest.drop(while: \.isWhitespace)
            if rest.hasPrefix("--") {
                rest = rest.drop(while: { $0 != "\n" })
            } else if rest.hasPrefix("/*") {
                var depth = 0
                var index = rest.startIndex
                while index < rest.endIndex {
                    let next = rest.index(after: index)
                    if rest[index...].hasPrefix("/*") {
                        depth += 1
                        index = rest.index(after: next)
                    } else if rest[index...].hasPrefix("*/") {
                        depth -= 1
                        index = rest.index(after: next)
                        if depth == 0 { break }
                    } else {
                        index = next
                    }
                }
                rest = rest[min(index, rest.endIndex)...]
            } else {
                break
            }
        }
        return rest.prefix(while: { $0.isLetter }).uppercased()
    }
}
