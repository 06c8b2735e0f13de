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

    /// The back-off as a pure state machine: real answers' timing depends on the
    /// machine's load (and spinning pauses while other tests' statements run), so
    /// the transitions are driven directly; the I/O is checked by the tests around it.
    @Test func aMissBacksOffAndAHitResetsIt() {
        var spinner = AnswerSpinner()
        // Misses in a row pause spinning for 1, 2, 4 … statements.
        var pauses: [Int] = []
        for _ in 0..<3 {
            spinner.record(answered: false, looks: 5, late: true)
            pauses.append(spinner.skip)
        }
        #expect(pauses == [1, 2, 4])
        // An answer there at the first look says nothing: the pause stays.
        spinner.record(answered: true, looks: 1, late: false)
        #expect(spinner.penalty == 4)
        // A late answer (the thread was preempted) is a miss too.
        spinner.record(answered: true, looks: 3, late: true)
        #expect(spinner.penalty == 8)
        #expect(spinner.skip == 8)
        // An answer caught in time, after at least one empty look, forgets the pause.
        spinner.record(answered: true, looks: 2, late: false)
        #expect(spinner.penalty == 0)
    }

    @Test func theBackOffStopsAtItsCeiling() {
        var spinner = AnswerSpinner()
        for _ in 0..<20 { spinner.record(answered: false, looks: 2, late: true) }
        #expect(spinner.penalty == AnswerSpinner.maxSkip)
        #expect(spinner.skip == AnswerSpinner.maxSkip)
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
