import Foundation
import Testing

@testable import PGFast

/// The runtime and the migrator through PgBouncer in transaction mode, where every
/// transaction (or lone statement) may run on a different server connection.
@Suite("PgBouncer in transaction mode", .enabled(if: PgBouncer.isInstalled, Comment(rawValue: PgBouncer.missingReason)))
struct PgBouncerTests {
    /// A fresh database, its direct configuration and a handle on it through the bouncer.
    func withBouncedDatabase<R>(_ body: (_ direct: DatabaseConfig, _ db: Database) async throws -> R)
        async throws -> R
    {
        try await TestServer.withDatabase { (direct: DatabaseConfig) in
            let bounced = try await PgBouncer.config(database: try #require(direct.database))
            return try await Database.connect(bounced) { db in try await body(direct, db) }
        }
    }

    @Test func goesThroughAPooler() async throws {
        try await withBouncedDatabase { direct, db in
            // The backend the connection was told at startup is PgBouncer's, not the server's.
            func isPooled(_ db: Database) async throws -> Bool {
                try await db.withConnection { try await Migrator(database: $0, directories: []).isBehindPooler(on: $0) }
            }
            #expect(try await isPooled(db))
            let directIsPooled = try await Database.connect(direct) { (directDB: Database) async throws in
                try await isPooled(directDB)
            }
            #expect(!directIsPooled)
        }
    }

    @Test func queriesWithBindsFromManyTasks() async throws {
        try await withBouncedDatabase { _, db in
            try await db.execute("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for index in 0..<25 {
                            let id = task * 100 + index
                            try await db.execute(
                                "INSERT INTO items VALUES (\(id), \("item \(id)"), \(Double(id) / 4))")
                            let name = try await db.value("SELECT name FROM items WHERE id = \(id)", as: String.self)
                            #expect(name == "item \(id)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await db.value("SELECT count(*) FROM items", as: Int.self) == 200)
            let rows = try await db.query("SELECT id, name FROM items WHERE id = ANY(\([1, 2, 3, 102])) ORDER BY id")
            #expect(try rows.decode((Int32, String).self).map { Int($0.0) } == [1, 2, 3, 102])
        }
    }

    @Test func transactionsCommitAndRollBackWhole() async throws {
        try await withBouncedDatabase { _, db in
            try await db.execute("CREATE TABLE ledger (amount int)")
            try await db.transaction { tx in
                try await tx.execute("INSERT INTO ledger VALUES (\(10))")
                try await tx.execute("INSERT INTO ledger VALUES (\(20))")
            }
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO ledger VALUES (\(99))")
                    throw Abort()
                }
            }
            // Savepoints inside one transaction stay on its server connection.
            try await db.transaction { tx in
                try await tx.execute("INSERT INTO ledger VALUES (\(1))")
                _ = try? await tx.transaction { inner in
                    try await inner.execute("INSERT INTO ledger VALUES (\(1000))")
                    try await inner.execute("SELECT 1/0")
                }
            }
            #expect(try await db.value("SELECT sum(amount) FROM ledger", as: Int.self) == 31)
        }
    }

    @Test func withSettingsStayInsideTheirTransaction() async throws {
        try await withBouncedDatabase { _, db in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for tenant in 0..<6 {
                    group.addTask {
                        for _ in 0..<10 {
                            let seen = try await db.withSettings(["app.tenant": "t\(tenant)"]) { tx in
                                try await tx.value("SELECT current_setting('app.tenant')", as: String.self)
                            }
                            #expect(seen == "t\(tenant)")
                            // Outside it, no server connection keeps the value.
                            let after = try await db.value(
                                "SELECT coalesce(current_setting('app.tenant', true), '')", as: String.self)
                            #expect(after == "")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func pipelinesRunAsOneBatch() async throws {
        try await withBouncedDatabase { _, db in
            try await db.execute("CREATE TABLE t (id int)")
            let results = try await db.pipeline([
                "INSERT INTO t VALUES (\(1))", "INSERT INTO t VALUES (\(2))", "SELECT count(*) FROM t",
            ])
            #expect(try results[2].decode(Int.self) == [2])
            await #expect(throws: PostgresError.self) {
                try await db.pipeline(["INSERT INTO t VALUES (\(3))", "SELECT 1/0", "INSERT INTO t VALUES (\(4))"])
            }
            #expect(try await db.value("SELECT count(*) FROM t", as: Int.self) == 2)
        }
    }

    @Test func cancellationReachesTheServerThroughTheBouncer() async throws {
        try await withBouncedDatabase { direct, db in
            let sleeper = Task { try await db.execute("SELECT pg_sleep(60)") }
            // Wait until the statement runs on the server, then cancel the task.
            let admin = try await Connection.connect(direct)
            for _ in 0..<500 {
                let running = try await admin.value(
                    "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'",
                    as: Int.self)
                if running > 0 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            sleeper.cancel()
            let outcome = await sleeper.result
            #expect(throws: (any Error).self) { try outcome.get() }
            // The pooled connection still works afterwards.
            #expect(try await db.value("SELECT \(7)::int4 * 6", as: Int.self) == 42)
            await admin.close()
        }
    }

    /// `pgfast` next to the test bundle (built by `swift build --build-tests`).
    static let pgfast: String = {
        var candidates: [URL] = []
        if let main = Bundle.main.executableURL { candidates.append(main.deletingLastPathComponent()) }
        candidates.append(URL(filePath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent())
        candidates.append(URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../.build/debug"))
        return candidates.map { $0.appending(path: "pgfast").standardizedFileURL.path }
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "pgfast"
    }()

    @Test func fourMigratorProcessesApplyEachMigrationOnce() async throws {
        let directory = try TestFixtures.countingMigrations(10)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestServer.withDatabase { (direct: DatabaseConfig) in
            let bounced = try await PgBouncer.config(database: try #require(direct.database))
            let url =
                "postgresql://\(try #require(bounced.user))@127.0.0.1:\(try #require(bounced.port))/"
                + (try #require(bounced.database))
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = nil
            let processes = try (0..<4).map { _ in
                try Subprocess.start(
                    Self.pgfast, ["schema", "up", "--database-url", url, "--migrations", directory.path],
                    environment: environment)
            }
            let results = await withTaskGroup(of: Subprocess.Result.self) { group in
                for process in processes {
                    group.addTask { await Task.detached { process.wait() }.value }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for result in results { #expect(result.status == 0, "\(result.stdout)\(result.stderr)") }
            let appliedCounts = results.compactMap { result in
                result.stdout.split(separator: "\n").last.flatMap { Int($0.prefix { $0.isNumber }) }
            }
            #expect(appliedCounts.reduce(0, +) == 10, "\(results.map(\.stdout))")
            try await Database.connect(direct) { db in
                let runs = try await db.query("SELECT version FROM runs").decode(String.self)
                #expect(runs.count == 10)
                #expect(Set(runs).count == 10)
                #expect(
                    try await db.value("SELECT count(*) FROM pgfast_migrations WHERE version <> ''", as: Int.self) == 10
                )
                // No lock is left behind on any server connection.
                #expect(
                    try await db.value(
                        """
                        SELECT count(*) FROM pg_locks
                        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                        """, as: Int.self) == 0)
            }
        }
    }

    @Test func whatNeedsASessionIsRefusedNamingPgBouncer() async throws {
        let directory = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFixtures.write(
            [
                "20250101000000_t_up.sql": "CREATE TABLE t (id int);\n",
                "20250101000000_t_down.sql": "DROP TABLE t;\n",
                "20250102000000_t_index_up.sql":
                    "-- pgfast:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
            ], in: directory)
        try await withBouncedDatabase { direct, db in
            let migrator = Migrator(database: db, directories: [directory.path])
            let error = await #expect(throws: MigrationError.self) { try await migrator.up() }
            #expect(error?.message.contains("PgBouncer") == true, "\(error?.description ?? "")")
            #expect(error?.file?.hasSuffix("20250102000000_t_index_up.sql") == true)
            // The transactional migration before it was applied; the index was not made.
            #expect(try await migrator.status().map(\.state) == [.applied, .pending])
            let down = await #expect(throws: MigrationError.self) { try await migrator.down() }
            #expect(down?.message.contains("PgBouncer") == true)
            // Directly, the same set completes.
            try await Database.connect(direct) { directDB in
                let applied = try await Migrator(database: directDB, directories: [directory.path]).up()
                #expect(applied.map(\.version) == ["20250102000000"])
            }
        }
    }
}
