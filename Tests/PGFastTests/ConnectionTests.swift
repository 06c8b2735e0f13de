import Foundation
import Logging
import PGFast
import Synchronization
import Testing

@Suite("Connection")
struct ConnectionTests {
    @Test func connectsAndQueries() async throws {
        let connection = try await Connection.connect(try await TestServer.adminConfig())
        let one = try await connection.value("SELECT \(41)::int8 + 1", as: Int.self)
        #expect(one == 42)
        #expect(await connection.serverVersion >= 100_000)
        await connection.close()
        await #expect(throws: PostgresError.self) { try await connection.value("SELECT 1", as: Int.self) }
    }

    @Test func boundValuesStayData() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute("CREATE TABLE users (id serial PRIMARY KEY, email text)")
            let hostile = "'); DROP TABLE users; --"
            try await db.execute("INSERT INTO users (email) VALUES (\(hostile))")
            let stored = try await db.value("SELECT email FROM users", as: String.self)
            #expect(stored == hostile)
            #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) == 1)
        }
    }

    @Test func serverErrorsCarrySQLStateAndFields() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute(
                "CREATE TABLE accounts (id int PRIMARY KEY, email text CONSTRAINT accounts_email_key UNIQUE)")
            try await db.execute("INSERT INTO accounts VALUES (1, \("a@example.com"))")
            do {
                try await db.execute("INSERT INTO accounts VALUES (2, \("a@example.com"))")
                Issue.record("expected a unique violation")
            } catch let error as PostgresError where error.sqlState == .uniqueViolation {
                #expect(error.code == .server)
                #expect(error.constraint == "accounts_email_key")
                #expect(error.table == "accounts")
                #expect(error.schema == "public")
                #expect(error.detail?.contains("already exists") == true)
                #expect(error.query == "INSERT INTO accounts VALUES (2, $1)")
            }
            // Bind values stay out of the description unless asked for.
            let hidden = await #expect(throws: PostgresError.self) {
                try await db.query("SELECT \("secret-token") FROM missing_table")
            }
            #expect(hidden?.description.contains("secret-token") == false)
            #expect(hidden?.description(includingBindValues: true).contains("secret-token") == true)
            let syntax = await #expect(throws: PostgresError.self) {
                try await db.execute("SELEC 1")
            }
            #expect(syntax?.sqlState == .syntaxError)
            #expect(syntax?.position == 1)
            let hinted = await #expect(throws: PostgresError.self) {
                try await db.execute("SELECT no_such_function(1)")
            }
            #expect(hinted?.sqlState == .undefinedFunction)
            #expect(hinted?.hint != nil)
        }
    }

    @Test func cancellingATaskCancelsTheStatementAndKeepsTheConnection() async throws {
        let connection = try await Connection.connect(try await TestServer.adminConfig())
        let pid = try await connection.value("SELECT pg_backend_pid()::int8", as: Int.self)
        try await connection.execute("CREATE TEMP TABLE finished (id int)")
        // Had the server not cancelled it, the insert would run after the sleep. The sleep is long:
        // under load (the whole suite at load 20) a cancel request took over 5 s to land.
        let task = Task {
            try await connection.execute(script: "SELECT pg_sleep(300); INSERT INTO finished VALUES (1)")
        }
        #expect(await PoolTests.eventually { (try? await PooledQueryTests.isSleeping(pid: pid)) == true })
        task.cancel()
        let outcome = await task.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        // The next statement runs after the cancelled one, however slow the machine: nothing inserted.
        #expect(try await connection.value("SELECT count(*)::int8 FROM finished", as: Int.self) == 0)
        #expect(try await connection.value("SELECT 7::int8", as: Int.self) == 7)
        await connection.close()
    }

    @Test func scriptsRunManyStatements() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute(
                script: """
                    CREATE TABLE a (id int);
                    INSERT INTO a VALUES (1), (2);
                    CREATE FUNCTION twice(x int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN x * 2; END; $$;
                    """)
            #expect(try await db.value("SELECT sum(twice(id))::int8 FROM a", as: Int.self) == 6)
            let error = await #expect(throws: PostgresError.self) {
                try await db.execute(script: "INSERT INTO a VALUES (3); SELECT * FROM missing;")
            }
            #expect(error?.sqlState == .undefinedTable)
            // One implicit transaction: the first insert was rolled back too.
            #expect(try await db.value("SELECT count(*) FROM a", as: Int.self) == 2)
        }
    }

    @Test func pipelineSendsABatchAndStopsAtTheFirstError() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute("CREATE TABLE p (id int PRIMARY KEY)")
            let results = try await db.pipeline(
                (1...100).map { "INSERT INTO p VALUES (\($0))" } + ["SELECT count(*) FROM p"])
            #expect(results.count == 101)
            #expect(try results[100].decode((Int).self).first == 100)
            let error = await #expect(throws: PostgresError.self) {
                try await db.pipeline([
                    "INSERT INTO p VALUES (\(1000))", "INSERT INTO p VALUES (\(1))", "INSERT INTO p VALUES (\(1001))",
                ])
            }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(try await db.value("SELECT count(*) FROM p", as: Int.self) == 100)
        }
    }

    @Test func noticesGoToTheLogger() async throws {
        let sink = RecordingLogHandler.Storage()
        let logger = Logger(label: "notices") { _ in RecordingLogHandler(storage: sink) }
        let connection = try await Connection.connect(try await TestServer.adminConfig(), logger: logger)
        try await connection.execute(script: "DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$")
        #expect(sink.messages.contains { $0.contains("hello from plpgsql") })
        await connection.close()
    }

    @Test func connectFailureIsClearAndHidesThePassword() async throws {
        let config = try DatabaseConfig(url: "postgresql://app:s3cret@127.0.0.1:1/app?connect_timeout=2")
        #expect(!config.description.contains("s3cret"))
        let error = await #expect(throws: PostgresError.self) { try await Connection.connect(config) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("s3cret") == false)
    }
}

/// Keeps log messages for assertions.
struct RecordingLogHandler: LogHandler {
    final class Storage: Sendable {
        private let lines = Mutex<[String]>([])
        var messages: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }
    let storage: Storage
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        storage.append("\(level) \(message)")
    }
}
