import Testing

@testable import PGFast

@Suite("SQLScript splitting")
struct SQLScriptTests {
    private func texts(_ sql: String) throws -> [String] {
        try SQLScript(sql).statements.map(\.text)
    }

    @Test func splitsSimpleStatementsAndDropsEmptyOnes() throws {
        let script = try SQLScript("CREATE TABLE a (id int);;\n\n  INSERT INTO a VALUES (1) ;\n;\nSELECT 1")
        #expect(script.statements.map(\.text) == ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)", "SELECT 1"])
        #expect(script.statements.map(\.line) == [1, 3, 5])
        #expect(script.statements.allSatisfy { $0.copyData == nil })
    }

    @Test func singleQuotedStringsWithDoubledQuotes() throws {
        let sql = "INSERT INTO t VALUES ('it''s; fine', 'a\\'); SELECT 2;"
        // standard_conforming_strings: the backslash is literal, so 'a\' is a complete string.
        #expect(try texts(sql) == ["INSERT INTO t VALUES ('it''s; fine', 'a\\')", "SELECT 2"])
    }

    @Test func escapeStringsHonourBackslashes() throws {
        let sql = "SELECT E'a\\'; still inside', e'\\\\'; SELECT 3;"
        #expect(try texts(sql) == ["SELECT E'a\\'; still inside', e'\\\\'", "SELECT 3"])
    }

    @Test func anIdentifierEndingInEIsNotAnEscapeString() throws {
        // `type'…'` is a typed literal: the backslash stays literal.
        #expect(
            try texts("SELECT date'2024-01-01', some_type'x\\'; SELECT 4") == [
                "SELECT date'2024-01-01', some_type'x\\'", "SELECT 4",
            ])
    }

    @Test func standardConformingStringsOffMakesBackslashEscape() throws {
        let sql =
            "SET standard_conforming_strings = off;\nSELECT 'a\\'; b';\nSET standard_conforming_strings TO on;\nSELECT 'c\\';"
        #expect(
            try texts(sql) == [
                "SET standard_conforming_strings = off", "SELECT 'a\\'; b'",
                "SET standard_conforming_strings TO on", "SELECT 'c\\'",
            ])
    }

    @Test func doubleQuotedIdentifiers() throws {
        let sql = #"CREATE TABLE "we;ird ""name""" ("col;" int); SELECT 1;"#
        #expect(try texts(sql) == [#"CREATE TABLE "we;ird ""name""" ("col;" int)"#, "SELECT 1"])
    }

    @Test func dollarQuotedBodies() throws {
        let sql = """
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
            BEGIN
                RETURN 1; -- ;
            END;
            $$;
            CREATE FUNCTION g(int) RETURNS text LANGUAGE sql AS $body$ SELECT $1::text || '$$;' $body$;
            SELECT $q$it's$q$;
            """
        let statements = try SQLScript(sql).statements
        #expect(statements.count == 3)
        #expect(statements[0].text.hasSuffix("END;\n$$"))
        #expect(statements[1].text.hasSuffix("$body$"))
        #expect(statements[2].text == "SELECT $q$it's$q$")
        #expect(statements.map(\.line) == [1, 6, 7])
    }

    @Test func parametersAreNotDollarTags() throws {
        #expect(try texts("SELECT $1, $2; SELECT 'x'") == ["SELECT $1, $2", "SELECT 'x'"])
    }

    @Test func dollarInsideIdentifierIsNotATag() throws {
        // `a$b$` is one identifier, so nothing here opens a dollar quote.
        #expect(try texts("SELECT 1 AS a$b$; SELECT 2") == ["SELECT 1 AS a$b$", "SELECT 2"])
    }

    @Test func nestedDollarTags() throws {
        let sql = "DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; END $outer$; SELECT 2;"
        #expect(try texts(sql) == ["DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; END $outer$", "SELECT 2"])
    }

    @Test func doBlock() throws {
        let sql = """
            DO $$
            DECLARE n int;
            BEGIN
                SELECT count(*) INTO n FROM pg_class;
                RAISE NOTICE 'found % rows; ok', n;
            END
            $$;
            """
        let statements = try SQLScript(sql).statements
        #expect(statements.count == 1)
        #expect(statements[0].text.hasPrefix("DO $$") && statements[0].text.hasSuffix("END\n$$"))
    }

    @Test func commentsContainingQuotesAndSemicolons() throws {
        let sql = """
            -- don't split here; really
            /* a 'quote' and a "double" ; /* nested ; */ still comment */
            SELECT 1 /* inline; */ + 2; -- trailing 'comment
            /* tail only */
            -- and more
            """
        let statements = try SQLScript(sql).statements
        #expect(statements.map(\.text) == ["SELECT 1 /* inline; */ + 2"])
        #expect(statements[0].line == 3)
    }

    @Test func lineIsFirstSignificantCharacter() throws {
        let sql = "\n\n  -- comment\n  /* c\n */  SELECT\n1;\n\n\n   INSERT INTO t VALUES (1);"
        let statements = try SQLScript(sql).statements
        #expect(statements.map(\.line) == [5, 9])
        #expect(statements[0].text == "SELECT\n1")
    }

    @Test func beginAtomicBodiesKeepTheirSemicolons() throws {
        let sql = """
            CREATE OR REPLACE FUNCTION add_one(i int) RETURNS int
                LANGUAGE sql
            BEGIN ATOMIC
                SELECT CASE WHEN i > 0 THEN i + 1 ELSE 0 END;
                SELECT i + 1;
            END;
            CREATE PROCEDURE log_it(msg text)
                LANGUAGE sql
            BEGIN ATOMIC
                INSERT INTO log VALUES (msg);
            END;
            BEGIN;
            SELECT 1;
            END;
            """
        let statements = try SQLScript(sql).statements
        #expect(statements.count == 5)
        #expect(statements[0].text.hasSuffix("SELECT i + 1;\nEND"))
        #expect(statements[1].text.hasPrefix("CREATE PROCEDURE") && statements[1].text.hasSuffix("END"))
        #expect(statements.dropFirst(2).map(\.text) == ["BEGIN", "SELECT 1", "END"])
        #expect(statements.map(\.line) == [1, 7, 12, 13, 14])
    }

    @Test func copyFromStdinKeepsDataVerbatim() throws {
        let sql =
            "COPY public.users (id, email, bio) FROM stdin;\n"
            + "1\ta@example.com\t\\N\n"
            + "2\tb@example.com\tback\\\\slash; and 'quote'\n"
            + "3\tc@example.com\t\\\\.\n"
            + "\\.\n"
            + "SELECT 1;\n"
        let statements = try SQLScript(sql).statements
        #expect(statements.count == 2)
        #expect(statements[0].text == "COPY public.users (id, email, bio) FROM stdin")
        #expect(
            statements[0].copyData
                == "1\ta@example.com\t\\N\n2\tb@example.com\tback\\\\slash; and 'quote'\n3\tc@example.com\t\\\\.\n")
        #expect(statements[1] == SQLScript.Statement(text: "SELECT 1", line: 6))
    }

    @Test func copyWithOptionsAndEmptyData() throws {
        let sql = "copy t (a) from STDIN with (format csv); -- the data\n\\.\nCOPY t TO stdout;"
        let statements = try SQLScript(sql).statements
        #expect(statements.map(\.copyData) == ["", nil])
        #expect(statements[1].line == 3)
    }

    @Test func copyTerminatorAtEndOfFileWithoutNewline() throws {
        let statements = try SQLScript("COPY t FROM stdin;\n1\n\\.").statements
        #expect(statements.map(\.copyData) == ["1\n"])
    }

    @Test func restrictMetaCommandsAreSkipped() throws {
        let sql = "\\restrict abc123\nSELECT 1;\n\\unrestrict abc123\n"
        #expect(try texts(sql) == ["SELECT 1"])
    }

    @Test func normalizesBOMAndLineEnds() throws {
        let sql = "\u{FEFF}SELECT 1;\r\nSELECT\r\n2;\rSELECT 3;"
        let statements = try SQLScript(sql).statements
        #expect(statements.map(\.text) == ["SELECT 1", "SELECT\n2", "SELECT 3"])
        #expect(statements.map(\.line) == [1, 2, 4])
    }

    @Test func positionsMapToFileLines() throws {
        let sql = "-- header\n\nSELECT 'é',\n    nope,\n    1;"
        let statement = try #require(SQLScript(sql).statements.first)
        #expect(statement.line == 3)
        // "SELECT 'é',\n" is 12 characters (é is one code point, two UTF-8 bytes).
        #expect(statement.line(forPosition: 1) == 3)
        #expect(statement.line(forPosition: 12) == 3)
        #expect(statement.line(forPosition: 13) == 4)
        #expect(statement.line(forPosition: 17) == 4)
        #expect(statement.line(forPosition: 25) == 5)
        #expect(statement.line(forPosition: 10_000) == 5)
        #expect(statement.line(forPosition: 0) == 3)
    }

    @Test func directivesComeFromLeadingComments() throws {
        let sql = """
            -- Adds an index without locking writes.
            -- depends_on: 20250101000000, 20250102000000
            -- pgfast:no-transaction
            -- depends-on: 20250103000000

            CREATE INDEX CONCURRENTLY i ON t (a);
            -- pgfast:ignored-after-sql
            """
        let script = try SQLScript(sql)
        #expect(
            script.directives == [
                "depends_on": "20250101000000, 20250102000000, 20250103000000", "no_transaction": "",
            ])
        #expect(script.directiveLines == ["depends_on": 2, "no_transaction": 3])
    }

    @Test func pgdbmDirectiveAndProseComments() throws {
        let sql =
            "-- pgdbm:no-transaction\n-- This depends on nothing: really\n-- Note: depends_on the users table\nSELECT 1;"
        #expect(try SQLScript(sql).directives == ["no_transaction": ""])
    }

    @Test func templatesPassThrough() throws {
        #expect(
            try texts("INSERT INTO {{tables.users}} (email) VALUES ('a');") == [
                "INSERT INTO {{tables.users}} (email) VALUES ('a')"
            ])
    }
}
