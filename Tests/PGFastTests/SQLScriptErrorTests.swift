import Testing

@testable import PGFast

@Suite("SQLScript errors")
struct SQLScriptErrorTests {
    private func splitError(_ sql: String) -> SQLScriptError? {
        do {
            _ = try SQLScript(sql, fileName: "db/002_x_up.sql")
            return nil
        } catch {
            return error as? SQLScriptError
        }
    }

    @Test(arguments: [
        ("SELECT 1;\nSELECT 'open;\n", SQLScriptError.Code.unterminatedQuote, 2),
        ("SELECT E'it\\'s;", .unterminatedQuote, 1),
        ("\n\nSELECT \"col;", .unterminatedQuote, 3),
        ("SELECT 1;\nCREATE FUNCTION f() AS $body$\nSELECT 1;\n$bod$;", .unterminatedDollarQuote, 2),
        ("SELECT 1; /* outer /* inner */\nSELECT 2;", .unterminatedComment, 1),
        ("COPY t FROM stdin;\n1\n2\n", .unterminatedCopyData, 1),
        ("SELECT 1;\nCOPY t FROM stdin", .unterminatedCopyData, 2),
        ("COPY t FROM stdin; SELECT 1;\n\\.\n", .textAfterCopy, 1),
        ("SELECT 1;\n\\connect other\nSELECT 2;", .unsupportedMetaCommand, 2),
        ("\\i other.sql", .unsupportedMetaCommand, 1),
        ("SELECT 1;\n\n\\set ON_ERROR_STOP on", .unsupportedMetaCommand, 3),
        ("SELECT 1\n\\gset", .unsupportedMetaCommand, 2),
    ])
    func reportsFileAndLine(sql: String, code: SQLScriptError.Code, line: Int) throws {
        let error = try #require(splitError(sql))
        #expect(error.code == code)
        #expect(error.file == "db/002_x_up.sql")
        #expect(error.line == line)
        #expect(error.description.hasPrefix("db/002_x_up.sql:\(line): "))
    }

    @Test func metaCommandMessageNamesTheCommand() throws {
        let error = try #require(splitError("\\connect other"))
        #expect(error.message.contains("\\connect"))
    }

    @Test func dollarQuoteMessageNamesTheTag() throws {
        let error = try #require(splitError("DO $fn$ BEGIN END $$;"))
        #expect(error.message.contains("$fn$"))
    }

    @Test func unreadableFileNamesThePath() throws {
        #expect {
            _ = try SQLScript(contentsOf: TestFixtures.url("scripts/does_not_exist.sql"))
        } throws: { error in
            let error = error as? SQLScriptError
            return error?.code == .unreadableFile && error?.file?.hasSuffix("does_not_exist.sql") == true
        }
    }
}
