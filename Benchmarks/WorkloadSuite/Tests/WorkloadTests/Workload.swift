import Foundation

/// Where the benchmark workload is: `PGFAST_WORKLOAD_DIR` (holding `migrations/`
/// and `fixtures/`), else `../shared/workload/db` next to the PGFast checkout.
enum Workload {
    static let directory: String = {
        if let directory = ProcessInfo.processInfo.environment["PGFAST_WORKLOAD_DIR"], !directory.isEmpty {
            return directory
        }
        // This file is Benchmarks/WorkloadSuite/Tests/WorkloadTests/Workload.swift in the checkout.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<6 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("shared/workload/db").path
    }()

    static let migrations = directory + "/migrations"

    /// How many isolated tests the suite runs: `PGFAST_BENCH_TESTS` (100 by default), for the scale runs.
    static let tests: Int = {
        ProcessInfo.processInfo.environment["PGFAST_BENCH_TESTS"].flatMap { Int($0) }.map { max(1, $0) } ?? 100
    }()
    static let fixtures = directory + "/fixtures"
}
