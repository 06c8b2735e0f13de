import PGFast
import PGFastTesting
import Testing

/// The issue-4 benchmark: 100 tests (`PGFAST_BENCH_TESTS`), each on its own clone holding the 50
/// migrations and the three fixture files, doing one insert and two counts.
@Suite(.isolatedDatabase(migrations: [Workload.migrations], fixtures: [Workload.fixtures]))
struct CloneWorkloadTests {
    @Test(.fixtures("t0", "t1", "t2"), arguments: 0..<Workload.tests)
    func insertAndCount(index: Int) async throws {
        let db = try IsolatedDatabase.current.database
        try await db.execute("INSERT INTO t0 (name, email) VALUES (\("Bench\(index)"), \("bench\(index)@example.com"))")
        let t0 = try await db.value("SELECT count(*) FROM t0", as: Int.self)
        let t2 = try await db.value("SELECT count(*) FROM t2", as: Int.self)
        #expect(t0 == 101)
        #expect(t2 > 0)
    }
}
