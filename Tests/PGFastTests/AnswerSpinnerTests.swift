import CLibPQ
import Foundation
import Testing

@testable import PGFast

@Suite("AnswerSpinner")
struct AnswerSpinnerTests {
    /// A blocking libpq connection of the test's own, for driving the spinner
    /// directly, used on a thread of its own: blocking libpq calls must not
    /// hold up the cooperative pool (and with it the other tests' timings).
    private func withHandle(_ body: @escaping @Sendable (OpaquePointer) -> Void) async throws {
        let keywords = try await TestServer.adminConfig().connectionKeywords()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                let handle = withCStringArray(keywords.map(\.0)) { keys in
                    withCStringArray(keywords.map(\.1)) { values in PQconnectdbParams(keys, values, 0) }
                }
                if let handle {
                    if PQstatus(handle) == CONNECTION_OK {
                        body(handle)
                    } else {
                        Issue.record("cannot connect: \(String(cString: PQerrorMessage(handle)))")
                    }
                    PQfinish(handle)
                }
                done.resume()
            }
            thread.start()
        }
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
            spinner.begin()
            defer { spinner.end() }
            // Misses in a row (5 ms is far beyond the budget) pause spinning for 1, 2, 4 … statements.
            // (A spin is also skipped while other tests' statements run: no pause then.)
            var pauses: [Int] = []
            let patience = ContinuousClock.now + .seconds(30)
            while pauses.count < 3, ContinuousClock.now < patience {
                #expect(PQsendQuery(handle, "SELECT pg_sleep(0.005)") == 1)
                let pausedBefore = spinner.skip
                spinner.spin(handle)
                if pausedBefore == 0, spinner.skip > 0 { pauses.append(spinner.skip) }
                #expect(drain(handle) == [PGRES_TUPLES_OK])
            }
            #expect(pauses == [1, 2, 4])
            // An answer caught in time (after at least one empty look) forgets the pause.
            let deadline = ContinuousClock.now + .seconds(30)
            while spinner.penalty > 0, ContinuousClock.now < deadline {
                #expect(PQsendQuery(handle, "SELECT 1") == 1)
                spinner.spin(handle)
                #expect(drain(handle) == [PGRES_TUPLES_OK])
            }
            #expect(spinner.penalty == 0)
        }
    }

    @Test func answersAndErrorsReadWhileSpinningAreComplete() async throws {
        try await withHandle { handle in
            var spinner = AnswerSpinner()
            spinner.begin()
            defer { spinner.end() }
            for i in 0..<200 {
                let sql = i % 10 == 0 ? "SELECT 1/0" : "SELECT \(i)"
                #expect(PQsendQuery(handle, sql) == 1)
                spinner.spin(handle)
                #expect(drain(handle) == [i % 10 == 0 ? PGRES_FATAL_ERROR : PGRES_TUPLES_OK])
            }
        }
    }
}
