import Testing

@testable import PGFast

/// `fixtures/scripts/pg_dump_sample.sql` is real `pg_dump` 15.18 output (with the
/// `\restrict` lines 15.14+ writes). Replaying these statements one by one into an
/// empty database reproduced an identical dump when the fixture was made.
@Suite("SQLScript on pg_dump output")
struct SQLScriptPgDumpTests {
    let script: SQLScript

    init() throws {
        script = try SQLScript(contentsOf: TestFixtures.url("scripts/pg_dump_sample.sql"))
    }

    @Test func splitsEveryStatement() {
        #expect(script.statements.count == 47)
        #expect(script.statements.first == SQLScript.Statement(text: "SET statement_timeout = 0", line: 10))
        #expect(
            script.statements[5]
                == SQLScript.Statement(text: "SELECT pg_catalog.set_config('search_path', '', false)", line: 15))
        #expect(script.statements.last?.text.hasPrefix("ALTER TABLE ONLY shop.orders\n    ADD CONSTRAINT") == true)
        #expect(!script.statements.contains { $0.text.contains("restrict") })
    }

    @Test func headerCommentsAreNotDirectives() {
        #expect(script.directives.isEmpty)
    }

    @Test func functionBodiesStayWhole() throws {
        let functions = script.statements.filter { $0.text.hasPrefix("CREATE FUNCTION") }
        #expect(functions.map(\.line) == [54, 84, 99])
        #expect(functions[0].text.hasSuffix("AS $_$ SELECT lower(trim($1)); $_$"))
        #expect(functions[1].text.hasSuffix("WHERE (orders.user_id = order_count.uid);\nEND"))  // BEGIN ATOMIC
        #expect(functions[2].text.contains("RAISE EXCEPTION 'empty email; rejected';"))
        #expect(functions[2].text.hasSuffix("END;\n$$"))
    }

    @Test func copyBlocksCarryTheirData() throws {
        let copies = script.statements.filter { $0.copyData != nil }
        #expect(copies.map(\.line) == [205, 216])
        #expect(copies[0].text == "COPY shop.orders (id, user_id, status, total, note) FROM stdin")
        #expect(
            copies[0].copyData
                == "1\t1\tpaid\t10.50\tfirst; order\n2\t1\tnew\t3.00\t\\N\n3\t2\tshipped\t99.99\tmulti\\nline\n")
        let users = try #require(copies[1].copyData).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(users.count == 5)  // four rows and the empty string after the last newline
        #expect(users[2] == "3\tcarol@example.com\tCarol O'Neil\tback\\\\slash and ; semicolon\t2024-01-01 00:00:00+00")
        #expect(users[3].contains("\t\\\\.\t"))  // a field holding "\." is not the terminator
        let next = try #require(script.statements.first { $0.line > 216 })
        #expect(next.text == "SELECT pg_catalog.setval('shop.orders_id_seq', 3, true)")
    }

    @Test func errorPositionsMapIntoTheFile() throws {
        let touch = try #require(script.statements.first { $0.text.hasPrefix("CREATE FUNCTION shop.touch") })
        #expect(touch.line == 99)
        #expect(touch.line(forPosition: 1) == 99)
        #expect(touch.line(forPosition: position(of: "RAISE EXCEPTION", in: touch.text)) == 106)
        #expect(touch.line(forPosition: position(of: "RETURN NEW", in: touch.text)) == 108)
    }

    /// The 1-based code point offset PostgreSQL would report for `needle`.
    private func position(of needle: String, in text: String) -> Int {
        let range = text.range(of: needle)!
        return text.unicodeScalars.distance(from: text.startIndex, to: range.lowerBound) + 1
    }
}
