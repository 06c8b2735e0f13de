import Foundation

extension Migrator {
    /// ``up(to:force:)`` for a database that nothing else migrates, such as a template
    /// being built: the migrations in one transaction (split where a file opts out of it),
    /// without the lock and the history read that guard every step of `up`.
    ///
    /// `up` takes the lock and reads the history again for each migration, so migrators on
    /// several connections apply each file once; in a database only this call can see, that
    /// is six round trips a migration where two do (the file with its `RESET ALL`, the history
    /// row), and building a template is what every cold test run waits for first. The history
    /// rows are the same as `up` writes, so the app's own migrator finds everything applied. A
    /// database that already has a history (or another tool's) goes through `up` itself.
    package func upOnNewDatabase() async throws -> [Migration] {
        let set = try migrations()
        // New: no history table (of any module) and no other tool's.
        let isNew = try await database.withConnection { db in
            guard try await !historyExists(on: db) else { return false }
            let schemas = [db.schema ?? "public", "public"]
            return try await !anyTableExists(Self.legacyHistoryTables, schemas: schemas, on: db)
        }
        // After the connection went back: a pool of one (a template build's) has no second one.
        guard isNew else { return try await up() }
        return try await database.withConnection { db in
            try await createHistory(on: db)
            let order = try pending(in: set, applied: [], to: nil, force: true)
            var start = order.startIndex
            while start < order.endIndex {
                let migration = order[start]
                guard migration.runsInTransaction else {
                    try await apply(migration, on: db)
                    start += 1
                    continue
                }
                let end = order[start...].firstIndex { !$0.runsInTransaction } ?? order.endIndex
                try await db.transaction { tx in
                    for migration in order[start..<end] { try await apply(migration, on: tx, insideTransaction: true) }
                }
                start = end
            }
            return order
        }
    }
}
