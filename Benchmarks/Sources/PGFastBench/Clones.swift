import ArgumentParser
import Foundation

/// Issue 4: 100 tests on the workload (50 migrations, 3 fixture files), each on
/// its own clone with all three fixtures, doing one insert and two counts: the
/// `WorkloadSuite` package next to this one, run with `swift test` as a user would.
///
/// Figures: the first run on a machine with no cluster (initdb, start, template
/// builds, clones), a run with templates rebuilt, warm re-runs (templates and the
/// stock of ready clones from the run before), the whole `swift test` with its
/// build check, and the baseline without templates (each test migrates its own
/// empty database). Waits and builds come from `PGFAST_STATISTICS_FILE`.
struct ClonesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clones",
        abstract: "100 isolated tests on the workload: first run, cold, warm, per-test migration (issue 4)."
    )

    @Option(help: "The suite package (default: Benchmarks/WorkloadSuite next to this package).")
    var suite: String?

    @Option(help: "Warm re-runs (the median is reported).")
    var warmRuns = 5

    @Flag(help: "Skip the first-run-on-a-new-machine measurement (it runs initdb in a fresh directory).")
    var skipFirstRun = false

    mutating func run() async throws {
        let suite = URL(fileURLWithPath: self.suite ?? Self.defaultSuite()).standardizedFileURL.path
        print("suite: \(suite)")
        print("building the suite (debug, as `swift test` does; not timed)…")
        let build = try SwiftTest.run(["build", "--build-tests", "--package-path", suite], environment: [:])
        guard build.status == 0 else { throw ValidationError("cannot build the suite:\n\(build.output)") }

        var report: [(String, SwiftTest.Outcome)] = []
        let statistics = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-clones-stats.json").path

        if !skipFirstRun {
            let fresh = "/dev/shm/pgfast-bench-\(UUID().uuidString.prefix(8))"
            print("first run, no cluster yet (PGFAST_EMBEDDED_DIR=\(fresh))…")
            let outcome = try SwiftTest.test(
                suite: suite, statistics: statistics, environment: ["PGFAST_EMBEDDED_DIR": fresh])
            report.append(("first run on a machine with no cluster (initdb, start, templates, clones)", outcome))
            SwiftTest.stopCluster(in: fresh)
        }

        print("cold: templates rebuilt (PGFAST_REBUILD_TEMPLATES=1)…")
        SwiftTest.waitForHousekeeping()
        report.append(
            (
                "templates rebuilt (cluster running)",
                try SwiftTest.test(suite: suite, statistics: statistics, environment: ["PGFAST_REBUILD_TEMPLATES": "1"])
            ))

        var warm: [SwiftTest.Outcome] = []
        for run in 1...warmRuns {
            SwiftTest.waitForHousekeeping()
            let outcome = try SwiftTest.test(suite: suite, statistics: statistics, environment: [:])
            print("warm run \(run): \(outcome.summary)")
            warm.append(outcome)
        }
        let medianWarm = warm.sorted { $0.seconds < $1.seconds }[warm.count / 2]
        report.append(("warm re-run, median of \(warmRuns) (templates and stock from the run before)", medianWarm))

        var backToBack: [SwiftTest.Outcome] = []
        for _ in 1...3 {
            backToBack.append(try SwiftTest.test(suite: suite, statistics: statistics, environment: [:]))
        }
        report.append(
            (
                "warm, back to back (no pause for the previous run's housekeeping), median of 3",
                backToBack.sorted { $0.seconds < $1.seconds }[1]
            ))

        SwiftTest.waitForHousekeeping()
        report.append(
            (
                "warm, whole `swift test` (with its build check)",
                try SwiftTest.test(suite: suite, statistics: statistics, environment: [:], skipBuild: false)
            ))

        SwiftTest.waitForHousekeeping()
        report.append(
            (
                "no template: each test migrates its own empty database (50 migrations + 3 fixtures)",
                try SwiftTest.test(
                    suite: suite, statistics: nil, environment: ["PGFAST_BENCH_PER_TEST_MIGRATION": "1"],
                    filter: "PerTestMigrationTests")
            ))

        print("")
        print(
            "| run | `swift test` wall time | median wait for a clone | slowest wait | templates built | clones created / taken from stock |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for (name, outcome) in report {
            print("| \(name) | \(outcome.formatted) |")
        }
    }

    static func defaultSuite() -> String {
        // This file is Benchmarks/Sources/PGFastBench/Clones.swift.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("WorkloadSuite").path
    }
}

/// Runs `swift test` on the suite and reads what PGFast wrote about the run.
enum SwiftTest {
    struct Outcome {
        var seconds: Double
        var statistics: [String: Any]

        var medianWait: Double? { statistics["median_wait_milliseconds"] as? Double }
        var slowestWait: Double? { (statistics["waits_milliseconds"] as? [Double])?.max() }

        var summary: String {
            String(format: "%.2f s", seconds) + (medianWait.map { String(format: ", median wait %.2f ms", $0) } ?? "")
        }

        var formatted: String {
            func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "—" }
            let built = (statistics["templates_built"] as? [Any])?.count
            let created = statistics["clones_created"] as? Int
            let claimed = statistics["clones_claimed_from_stock"] as? Int
            let clones = created.map { "\($0) / \(claimed ?? 0)" } ?? "—"
            return String(format: "%.2f s", seconds) + " | \(ms(medianWait)) | \(ms(slowestWait)) | "
                + (built.map(String.init) ?? "—") + " | \(clones)"
        }
    }

    static func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-bench-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output)
        return (process.terminationStatus, text)
    }

    static func test(
        suite: String, statistics: String?, environment: [String: String], skipBuild: Bool = true,
        filter: String? = nil
    ) throws -> Outcome {
        var environment = environment
        if let statistics {
            try? FileManager.default.removeItem(atPath: statistics)
            environment["PGFAST_STATISTICS_FILE"] = statistics
        }
        var arguments = ["test", "--package-path", suite]
        if skipBuild { arguments.append("--skip-build") }
        if let filter { arguments += ["--filter", filter] }
        let clock = ContinuousClock()
        let started = clock.now
        let (status, output) = try run(arguments, environment: environment)
        let elapsed = clock.now - started
        guard status == 0 else { throw ValidationError("swift test failed (\(status)):\n\(output)") }
        let (seconds, attoseconds) = elapsed.components
        var values: [String: Any] = [:]
        if let statistics, let data = FileManager.default.contents(atPath: statistics) {
            values = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }
        return Outcome(seconds: Double(seconds) + Double(attoseconds) / 1e18, statistics: values)
    }

    /// Waits until no detached housekeeping `psql` of an earlier run is left.
    static func waitForHousekeeping() {
        for _ in 0..<600 {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = ["pgrep", "-f", "pgfast-housekeeping"]
            check.standardOutput = FileHandle.nullDevice
            try? check.run()
            check.waitUntilExit()
            if check.terminationStatus != 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Stops and deletes the cluster the first-run measurement created.
    static func stopCluster(in directory: String) {
        let stop = Process()
        stop.executableURL = URL(fileURLWithPath: "/bin/sh")
        stop.arguments = [
            "-c",
            "ctl=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1); "
                + "for d in \"$0\"/*/data; do runuser -u postgres -- \"$ctl\" -D \"$d\" -m immediate stop "
                + ">/dev/null 2>&1 || \"$ctl\" -D \"$d\" -m immediate stop >/dev/null 2>&1; done; rm -rf \"$0\"",
            directory,
        ]
        try? stop.run()
        stop.waitUntilExit()
    }
}
