import PGFast
import Synchronization
import Testing

@Suite("Database")
struct DatabaseTests {
    @Test func scopedConnectClosesItsPoolOnReturnAndOnThrow() async throws {
        struct Boom: Error {}
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let (kept, count) = try await Database.connect(config) { db in
                (db, try await db.value("SELECT 1", as: Int.self))
            }
            #expect(count == 1)
            let afterReturn = await #expect(throws: PostgresError.self) {
                try await kept.value("SELECT 1", as: Int.self)
            }
            #expect(afterReturn?.code == .poolClosed)
            let holder = Mutex<Database?>(nil)
            await #expect(throws: Boom.self) {
                try await Database.connect(config) { db in
                    holder.withLock { $0 = db }
                    throw Boom()
                }
            }
            let thrown = try #require(holder.withLock { $0 })
            let afterThrow = await #expect(throws: PostgresError.self) {
                try await thrown.value("SELECT 1", as: Int.self)
            }
            #expect(afterThrow?.code == .poolClosed)
        }
    }

    @Test func tablesRenderPerSchemaAndStayApart() async throws {
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let pool = try await ConnectionPool(config)
            let users = Database(pool: pool, schema: "users")
            let orders = Database(pool: pool, schema: "orders")
            #expect(users.render("SELECT * FROM {{tables.users}}") == "SELECT * FROM \"users\".\"users\"")
            #expect(Database(pool: pool).render("{{tables.users}}") == "\"users\"")
            for db in [users, orders] {
                try await db.execute("CREATE TABLE {{tables.users}} (email text)")
            }
            try await users.execute("INSERT INTO {{tables.users}} VALUES (\("u@example.com"))")
            try await orders.execute("INSERT INTO {{tables.users}} VALUES (\("o1")), (\("o2"))")
            #expect(try await users.value("SELECT count(*) FROM {{tables.users}}", as: Int.self) == 1)
            #expect(try await orders.value("SELECT count(*) FROM {{tables.users}}", as: Int.self) == 2)
            #expect(try await users.value("SELECT email FROM users.users", as: String.self) == "u@example.com")
            // Templates work in scripts and transactions too.
            try await orders.execute(script: "INSERT INTO {{tables.users}} VALUES ('o3');")
            try await orders.transaction { tx in
                try await tx.execute("INSERT INTO {{tables.users}} VALUES ('o4')")
            }
            #expect(try await orders.value("SELECT count(*) FROM {{tables.users}}", as: Int.self) == 4)
            // JSON-looking braces that are not templates are left alone.
            #expect(users.render("SELECT '{{\"a\": 1}}'") == "SELECT '{{\"a\": 1}}'")
            await pool.close()
        }
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute("CREATE TABLE t (id int PRIMARY KEY)")
            try await db.transaction { tx in
                try await tx.execute("INSERT INTO t VALUES (1)")
            }
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await db.transaction { tx in
                    try await tx.execute("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            #expect(try await db.value("SELECT count(*) FROM t", as: Int.self) == 1)
            // Nested transactions are savepoints: the inner failure keeps the outer work.
            try await db.transaction { tx in
                try await tx.execute("INSERT INTO t VALUES (3)")
                try? await tx.transaction { inner in
                    try await inner.execute("INSERT INTO t VALUES (4)")
                    throw Boom()
                }
            }
            #expect(try await db.query("SELECT id::int8 FROM t ORDER BY id").decode(Int.self) == [1, 3])
            #expect(await db.pool.metrics.inUse == 0)
        }
    }

    @Test func withSettingsIsScopedToItsTransaction() async throws {
        try await TestServer.withDatabase(minConnections: 1, maxConnections: 1) { db in
            let seen = try await db.withSettings(["app.tenant_id": "tenant-42", "app.role": "reader"]) { tx in
                try await tx.value(
                    "SELECT current_setting('app.tenant_id') || '/' || current_setting('app.role')", as: String.self)
            }
            #expect(seen == "tenant-42/reader")
            // Same (only) connection, after the transaction: the setting is gone.
            let after = try await db.value("SELECT current_setting('app.tenant_id', true)", as: String?.self)
            #expect(after == nil || after == "")
        }
    }

    @Test func valueWithoutRowsThrowsUnlessOptional() async throws {
        try await TestServer.withDatabase { db in
            let error = await #expect(throws: PostgresError.self) {
                try await db.value("SELECT 1::int8 WHERE false", as: Int.self)
            }
            #expect(error?.code == .noRows)
            let none = try await db.value("SELECT 1::int8 WHERE false", as: Int?.self)
            #expect(none == nil)
        }
    }

    @Test func executeReturnsAffectedRows() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute("CREATE TABLE t (id int)")
            #expect(try await db.execute("INSERT INTO t SELECT generate_series(1, 10)") == 10)
            #expect(try await db.execute("DELETE FROM t WHERE id > \(7)") == 3)
            let name = "odd \"name\""
            try await db.execute("CREATE TABLE \(identifier: name) (id int)")
            #expect(try await db.execute("INSERT INTO \(identifier: name) VALUES (1)") == 1)
        }
    }

    @Test func decodeErrorsNameTheColumnAndBothTypes() async throws {
        try await TestServer.withDatabase { db in
            let rows = try await db.query("SELECT 'x'::text AS email, NULL::int8 AS age")
            let mismatch = #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, column: "email") }
            #expect(mismatch?.message.contains("\"email\"") == true)
            #expect(mismatch?.message.contains("text") == true)
            #expect(mismatch?.message.contains("Int") == true)
            let null = #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, column: "age") }
            #expect(null?.message.contains("NULL") == true)
            #expect(null?.message.contains("\"age\"") == true)
            #expect(try rows[0].decode(Int?.self, column: "age") == nil)
        }
    }

    /// Results come in binary: a type with no reader, or a user-defined one whose binary form is
    /// not its text (a composite row), is refused with the cast that reads it, never garbage.
    @Test func typesWithoutAReaderSayHowToReadThemAsText() async throws {
        try await TestServer.withDatabase { db in
            try await db.execute(script: "CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TYPE pair AS (a int, b text)")
            #expect(try await db.value("SELECT 'sad'::mood", as: String.self) == "sad")
            let row = try await db.query("SELECT '10.0.0.1/8'::inet AS address, ROW(1, 'x')::pair AS pair")[0]
            for column in ["address", "pair"] {
                let error = #expect(throws: PostgresError.self) { try row.decode(String.self, column: column) }
                #expect(error?.code == .decoding)
                #expect(error?.message.contains("\"\(column)\"") == true)
                #expect(error?.message.contains("::text") == true)
            }
            let address = #expect(throws: PostgresError.self) { try row.decode(String.self, column: "address") }
            #expect(address?.message.contains("type inet") == true)
            #expect(try await db.value("SELECT ROW(1, 'x')::pair::text", as: String.self) == "(1,x)")
        }
    }

    /// libpq refuses a Bind of more than 65,535 parameters as if the connection had failed:
    /// PGFast says what is wrong before sending, and the connection stays in use.
    @Test func tooManyBindsFailBeforeAnythingIsSent() async throws {
        try await TestServer.withDatabase { (db: Database) async throws in
            var sql: SQL = "SELECT 0"
            for value in 0..<70_000 { sql.append(" + \(value)") }
            let error = await #expect(throws: PostgresError.self) { try await db.value(sql, as: Int.self) }
            #expect(error?.code == .encoding)
            #expect(error?.message.contains("65535") == true)
            #expect(error?.message.contains("70000") == true)
            var fits: SQL = "SELECT 0"
            for value in 0..<1_000 { fits.append(" + \(value)") }
            #expect(try await db.value(fits, as: Int.self) == 499_500)
            let metrics = await db.pool.metrics
            #expect(metrics.connectionsClosed == 0)
            #expect(metrics.connectionsReplaced == 0)
        }
    }
}
