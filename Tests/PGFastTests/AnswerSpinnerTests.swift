import CLibPQ
@testable import PGFast
import Testing

@Suite("AnswerSpinner")
struct AnswerSpinnerTests {
    /// A blocking libpq connection of the test's own, for driving the spinner directly.
    private func withHandle(_ body: (OpaquePointer) throws -> Void) async throws {
        let config = try await TestServer.adminConfig()
        let keywords = config.connectionKeywords()
        let handle = try #require(
            withCStringArray(keywords.map(\.0)) { keys in
                withCStringArray(keywords.map(\.1)) { values in PQconnectdbParams(keys, values, 0) }
            })
        defer { PQfinish(handle) }
        try #require(PQstatus(handle) == CONNECTION_OK)
        try body(handle)
    }

    private func drain(_ handle: OpaquePointer) -> [ExecStatusType] {
        var statuses: [ExecStatusType] = []
        while let result = PQgetResult(handle) {
            statuses.append(PQresultStatus(result))
            PQclear(result)
        }
        return statuses
    }

    @Test func aMissBacksOffAndAHitResetsIt() async throws {
        try await withHandle { handle in
            var spinner = AnswerSpinner()
            // Misses in a row (20 ms is far beyond the budget) pause spinning for 1, 2, 4 … statements.
            // (A spin may also be refused while another connection's thread spins: no pause then.)
            var pauses: [Int] = []
            for _ in 0..<100 where pauses.count < 3 {
                #expect(PQsendQuery(handle, "SELECT pg_sleep(0.02)") == 1)
                let pausedBefore = spinner.skip
                spinner.spin(handle)
                if pausedBefore == 0, spinner.skip > 0 { pauses.append(spinner.skip) }
                #expect(drain(handle) == [PGRES_TUPLES_OK])
            }
            #expect(pauses == [1, 2, 4])
            // Once the pause is over, a quick answer is caught and the pause forgotten.
            while spinner.skip > 0 {
                #expect(PQsendQuery(handle, "SELECT 1") == 1)
                spinner.spin(handle)
                #expect(drain(handle) == [PGRES_TUPLES_OK])
            }
            var caught = false
            for _ in 0..<2000 where !caught {
                #expect(PQsendQuery(handle, "SELECT 1") == 1)
                caught = spinner.spin(handle)
                #expect(drain(handle) == [PGRES_TUPLES_OK])
            }
            #expect(caught)
            #expect(spinner.penalty == 0)
        }
    }

    @Test func answersAndErrorsReadWhileSpinningAreComplete() async throws {
        try await withHandle { handle in
            var spinner = AnswerSpinner()
            for i in 0..<200 {
                let sql = i % 10 == 0 ? "SELECT 1/0" : "SELECT \(i)"
                #expect(PQsendQuery(handle, sql) == 1)
                spinner.spin(handle)
                #expect(drain(handle) == [i % 10 == 0 ? PGRES_FATAL_ERROR : PGRES_TUPLES_OK])
            }
        }
    }
}
