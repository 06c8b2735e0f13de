import Foundation
import PGFast
import Testing

@Suite("Running SQL files")
struct ScriptExecutionTests {
    @Test func pgDumpOutputLoadsWithItsCopyBlocks() async throws {
        let script = try SQLScript(contentsOf: TestFixtures.url("scripts/pg_dump_sample.sql"))
        try await TestServer.withDatabase { db in
            try await db.execute(script)
            let tables = try await db.value(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
                as: Int.self)
            #expect(tables > 0)
            // Every COPY block arrived: each copied table has rows.
            for statement in script.statements where statement.copyData != nil {
                let table = statement.text.split(separator: " ")[1]
                let expected = statement.copyData!.split(separator: "\n").count
                let count = try await db.value("SELECT count(*) FROM \(unsafeRaw: String(table))", as: Int.self)
                #expect(count == expected, "\(table)")
            }
        }
    }

    @Test func errorsNameTheFileAndTheLine() async throws {
        let text = """
            -- a comment on line 1
            CREATE TABLE t (id int);

            INSERT INTO t VALUES (1);
            SELECT *
              FROM t
             WHERE no_such_column = 1;
            """
        let script = try SQLScript(text, fileName: "broken.sql")
        try await TestServer.withDatabase { db in
            let error = await #expect(throws: PostgresError.self) { try await db.execute(script) }
            #expect(error?.sqlState == .undefinedColumn)
            #expect(error?.sourceFile == "broken.sql")
            #expect(error?.sourceLine == 7)
            #expect(error?.description.contains("broken.sql:7") == true)
        }
    }

    @Test func copyFromStdinAndTemplates() async throws {
        let text =
            "CREATE TABLE {{tables.items}} (id int, name text);\nCOPY {{tables.items}} (id, name) FROM stdin;\n1\tone\n2\t\\N\n\\.\n"
        let script = try SQLScript(text, fileName: "items.sql")
        try await TestServer.withDatabase { (config: DatabaseConfig) in
            let db = try await Database.connect(config, schema: "inventory")
            try await db.execute(script)
            let rows = try await db.query("SELECT id::int8, name FROM {{tables.items}} ORDER BY id").decode(
                (Int, String?).self)
            #expect(rows.map(\.0) == [1, 2])
            #expect(rows.map(\.1) == ["one", nil])
            await db.close()
        }
    }
}
