import Foundation
import PGFast
import Testing

/// SQL files inside a transaction go out pipelined: a batch a round trip, with errors
/// still naming the statement's file and line, and nothing after a failure applied.
@Suite("Running SQL files in a transaction")
struct ScriptPipelineTests {
    /// `count` single-row inserts, one a line after the table on line 1.
    private static func inserts(_ count: Int) -> String {
        "CREATE TABLE big (id int PRIMARY KEY);\n"
            + (1...count).map { "INSERT INTO big VALUES (\($0));" }.joined(separator: "\n")
    }

    @Test func thousandsOfStatementsTakeAFewRoundTrips() async throws {
        let script = try SQLScript(Self.inserts(3000), fileName: "big_fixture.sql")
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let before = await db.pool.metrics.queries
            try await db.transaction { tx in try await tx.execute(script) }
            let sent = await db.pool.metrics.queries - before
            // BEGIN, four pipelines of at most 1,000 statements, COMMIT: not 3,001 round trips.
            #expect(sent <= 8, "\(sent) round trips")
            #expect(try await db.value("SELECT count(*)::int8 FROM big", as: Int.self) == 3000)
        }
    }

    @Test func outsideATransactionEachStatementRunsOnItsOwn() async throws {
        // psql's behaviour: CREATE INDEX CONCURRENTLY refuses a transaction block, so it is
        // not pipelined with the statements before it.
        let script = try SQLScript(
            "CREATE TABLE c (id int);\nINSERT INTO c VALUES (1);\nCREATE INDEX CONCURRENTLY c_id ON c (id);",
            fileName: "concurrently.sql")
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let before = await db.pool.metrics.queries
            try await db.execute(script)
            #expect(await db.pool.metrics.queries - before == 3)
            #expect(
                try await db.value("SELECT count(*)::int8 FROM pg_indexes WHERE indexname = 'c_id'", as: Int.self) == 1)
        }
    }

    @Test func aFailingStatementInABatchNamesItsLineAndNothingStays() async throws {
        // Line 1: the table; line k + 1: the k-th insert; the 1,500th repeats the first id.
        var text = Self.inserts(2000)
        text = text.replacingOccurrences(of: "INSERT INTO big VALUES (1500);", with: "INSERT INTO big VALUES (1);")
        let script = try SQLScript(text, fileName: "dup_fixture.sql")
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            try await db.execute("CREATE TABLE marker (id int)")
            let error = await #expect(throws: PostgresError.self) {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO marker VALUES (1)")
                    try await tx.execute(script)
                }
            }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.sourceFile == "dup_fixture.sql")
            #expect(error?.sourceLine == 1501)
            #expect(error?.description.contains("dup_fixture.sql:1501") == true)
            // Rolled back whole: neither the table nor the insert before the file stayed.
            #expect(try await db.value("SELECT to_regclass('big') IS NULL", as: Bool.self))
            #expect(try await db.value("SELECT count(*)::int8 FROM marker", as: Int.self) == 0)
        }
    }

    @Test func aSyntaxErrorInABatchIsMappedToItsLine() async throws {
        let text = """
            CREATE TABLE t (id int);
            INSERT INTO t VALUES (1);
            INSERT INTO t
              VALUES (2),
                     (3 4);
            INSERT INTO t VALUES (5);
            """
        let script = try SQLScript(text, fileName: "syntax.sql")
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let error = await #expect(throws: PostgresError.self) {
                try await db.transaction { tx in try await tx.execute(script) }
            }
            #expect(error?.sqlState == .syntaxError)
            #expect(error?.sourceLine == 5)
            #expect(try await db.value("SELECT to_regclass('t') IS NULL", as: Bool.self))
        }
    }

    @Test func transactionControlAndPreparedStatementsInsideAFile() async throws {
        // Savepoints change what the statements after them run in; PREPARE's $1 is its own:
        // both run on their own between pipelined batches, with the same outcome as psql.
        let text = """
            CREATE TABLE s (id int);
            INSERT INTO s VALUES (1);
            SAVEPOINT before_two;
            INSERT INTO s VALUES (2);
            ROLLBACK TO SAVEPOINT before_two;
            PREPARE add_one(int) AS INSERT INTO s VALUES ($1);
            EXECUTE add_one(3);
            DEALLOCATE add_one;
            INSERT INTO s VALUES (4);
            """
        let script = try SQLScript(text, fileName: "control.sql")
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            try await db.transaction { tx in try await tx.execute(script) }
            let ids = try await db.query("SELECT id FROM s ORDER BY id").decode(Int32.self)
            #expect(ids == [1, 3, 4])
        }
    }

    @Test func statementsTheSplitterKeepsWholeRunPipelined() async throws {
        let text = """
            CREATE TABLE r (id int);
            CREATE TABLE r_log (id int);
            CREATE RULE r_logged AS ON INSERT TO r DO ALSO (INSERT INTO r_log VALUES (NEW.id); INSERT INTO r_log VALUES (-NEW.id));
            CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT x * 2; END;
            DO $$ BEGIN INSERT INTO r VALUES (twice(21)); END $$;
            /* a comment; with a semicolon */ INSERT INTO r VALUES (1);
            """
        let script = try SQLScript(text, fileName: "rules.sql")
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            try await db.transaction { tx in try await tx.execute(script) }
            #expect(try await db.query("SELECT id FROM r ORDER BY id").decode(Int32.self) == [1, 42])
            #expect(try await db.query("SELECT id FROM r_log ORDER BY id").decode(Int32.self) == [-42, -1, 1, 42])
        }
    }

    @Test func cancellingAPipelinedFileCancelsItAndKeepsTheConnection() async throws {
        let script = try SQLScript(
            "CREATE TABLE finished (id int);\nSELECT pg_sleep(300);\nINSERT INTO finished VALUES (1);",
            fileName: "slow.sql")
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { (db: Database) async throws in
            let pid = try await db.value("SELECT pg_backend_pid()::int8", as: Int.self)
            let task = Task { try await db.transaction { tx in try await tx.execute(script) } }
            #expect(await PoolTests.eventually { (try? await PooledQueryTests.isSleeping(pid: pid)) == true })
            task.cancel()
            let outcome = await task.result
            #expect(throws: CancellationError.self) { try outcome.get() }
            #expect(try await db.value("SELECT pg_backend_pid()::int8", as: Int.self) == pid)
            #expect(try await db.value("SELECT to_regclass('finished') IS NULL", as: Bool.self))
        }
    }

    @Test func templatesAreRenderedInEveryBatchedStatement() async throws {
        let script = try SQLScript(
            "CREATE TABLE {{tables.items}} (id int);\nINSERT INTO {{tables.items}} VALUES (1);\nINSERT INTO {{tables.items}} VALUES (2);",
            fileName: "items.sql")
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let db = try await Database.connect(config, schema: "inventory")
            try await db.transaction { tx in try await tx.execute(script) }
            #expect(try await db.value("SELECT count(*)::int8 FROM inventory.items", as: Int.self) == 2)
            await db.close()
        }
    }
}
