import ArgumentParser
import Foundation
import PGFast
import PGFastTesting

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
        abstract:
            "Isolated tests on the workload: first run, fresh server cold and warm, peers (Python pgfast, pgdbm) (issues 4, 10)."
    )

    @Option(help: "The suite package (default: Benchmarks/WorkloadSuite next to this package).")
    var suite: String?

    @Option(help: "Warm re-runs (the median is reported).")
    var warmRuns = 5

    @Option(name: .customLong("tests"), help: "Suite sizes to measure (repeatable), e.g. --tests 100 --tests 1000.")
    var testCounts: [Int] = [100]

    @Flag(help: "Skip the first-run-on-a-new-machine measurement (it runs initdb in a fresh directory).")
    var skipFirstRun = false

    @Flag(help: "Skip Python pgfast and pgdbm.")
    var skipPeers = false

    @Option(help: "Suite sizes the peers run too (default: 100 only; pgdbm migrates per test).")
    var peerTests: [Int] = [100]

    @Flag(help: "Also the issue-4 extras: templates rebuilt, back to back, whole `swift test`, no template.")
    var extras = false

    @Option(help: "The virtualenv for the Python peers (created if missing).")
    var venv = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-bench-venv").path

    mutating func run() async throws {
        let suite = URL(fileURLWithPath: self.suite ?? Self.defaultSuite()).standardizedFileURL.path
        let workload = URL(fileURLWithPath: suite).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/workload/db").standardizedFileURL.path
        print("suite: \(suite)")
        print(
            "machine: \(Shell.line("uname -srm")), \(ProcessInfo.processInfo.activeProcessorCount) cores; load: \(Shell.line("uptime"))"
        )
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
            report.append(
                ("first run on a machine with no cluster (initdb, start, templates, clones), 100 tests", outcome))
            SwiftTest.stopCluster(in: fresh)
        }

        var peers: [(String, Int, Double, Double)] = []
        var pgfastFigures: [Int: (cold: Double, warm: Double)] = [:]
        for tests in testCounts {
            let server = try await FreshServer.start()
            let environment = ["PGFAST_EMBEDDED_DIR": server.root, "PGFAST_BENCH_TESTS": String(tests)]
            print("\(tests) tests, fresh server (\(server.root)): cold…")
            let cold = try SwiftTest.test(suite: suite, statistics: statistics, environment: environment)
            print("cold: \(cold.summary); load: \(Shell.line("cat /proc/loadavg"))")
            report.append(("**fresh server, first run**, \(tests) tests", cold))
            var warm: [SwiftTest.Outcome] = []
            for run in 1...warmRuns {
                await server.waitForHousekeeping()
                let outcome = try SwiftTest.test(suite: suite, statistics: statistics, environment: environment)
                print("warm run \(run): \(outcome.summary)")
                warm.append(outcome)
            }
            let medianWarm = warm.sorted { $0.seconds < $1.seconds }[warm.count / 2]
            let chatter = warm.flatMap(\.otherLines)
            print(
                chatter.isEmpty
                    ? "warm runs: no line but the test runner's"
                    : "warm runs printed \(chatter.count) other line(s):\n" + chatter.prefix(20).joined(separator: "\n")
            )
            let runs = warm.map { String(format: "%.2f", $0.seconds) }.joined(separator: ", ")
            report.append(("warm re-run, \(tests) tests, median of \(warmRuns) (\(runs) s)", medianWarm))
            pgfastFigures[tests] = (cold.seconds, medianWarm.seconds)
            if extras && tests == testCounts.first {
                try runExtras(
                    suite: suite, statistics: statistics, environment: environment, server: server, into: &report)
            }
            await server.stop()
        }

        if !skipPeers {
            let python = PythonPeers(
                venv: URL(fileURLWithPath: venv),
                workDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-bench-peers"))
            let usable = try python.prepare()
            for tests in peerTests {
                try python.writeSuites(workload: workload, tests: tests)
                for peer in PythonPeers.Peer.allCases {
                    if let reason = usable[peer] ?? nil {
                        print("\(peer.rawValue): not run: \(reason)")
                        continue
                    }
                    let server = try await FreshServer.start()
                    print("\(peer.rawValue), \(tests) tests, fresh server: cold…")
                    let cold = try python.run(peer, host: "127.0.0.1", port: server.port, workload: workload)
                    await server.waitForHousekeeping()
                    let warm = try python.run(peer, host: "127.0.0.1", port: server.port, workload: workload)
                    print(String(format: "%@: cold %.2f s, warm %.2f s", peer.rawValue, cold, warm))
                    peers.append((peer.title, tests, cold, warm))
                    await server.stop()
                }
            }
        }

        print("")
        print(
            "| run | `swift test` wall time | median wait for a clone | slowest wait | templates built | clones created / taken from stock |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for (name, outcome) in report {
            print("| \(name) | \(outcome.formatted) |")
        }
        print("")
        print("Where the time went (ms; offsets from the test process's start, from PGFAST_STATISTICS_FILE):")
        print("")
        print(SwiftTest.Outcome.phaseHeader)
        for (name, outcome) in report {
            print("| \(name) | \(outcome.phases) |")
        }
        if !peers.isEmpty {
            print("")
            print(
                "| peer, same run | tests | cold (fresh server) | warm re-run | PGFast cold | PGFast warm | cold ratio | warm ratio |"
            )
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for (title, tests, cold, warm) in peers {
                let ours = pgfastFigures[tests]
                func cell(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "—" }
                func ratio(_ theirs: Double, _ ours: Double?) -> String {
                    ours.map { String(format: "%.1f×", theirs / $0) } ?? "—"
                }
                print(
                    "| \(title) | \(tests) | \(cell(cold)) | \(cell(warm)) | \(cell(ours?.cold)) | \(cell(ours?.warm)) | "
                        + "\(ratio(cold, ours?.cold)) | \(ratio(warm, ours?.warm)) |")
            }
        }
        print("")
        print("load at the end: \(Shell.line("uptime"))")
    }

    /// The issue-4 extras, on the fresh server of the first size.
    private func runExtras(
        suite: String, statistics: String, environment: [String: String], server: FreshServer,
        into report: inout [(String, SwiftTest.Outcome)]
    ) throws {
        report.append(
            (
                "templates rebuilt (cluster running)",
                try SwiftTest.test(
                    suite: suite, statistics: statistics,
                    environment: environment.merging(["PGFAST_REBUILD_TEMPLATES": "1"]) { _, new in new })
            ))
        var backToBack: [SwiftTest.Outcome] = []
        for _ in 1...3 {
            backToBack.append(try SwiftTest.test(suite: suite, statistics: statistics, environment: environment))
        }
        report.append(
            (
                "warm, back to back (no pause for the previous run's housekeeping), median of 3",
                backToBack.sorted { $0.seconds < $1.seconds }[1]
            ))
        report.append(
            (
                "warm, whole `swift test` (with its build check)",
                try SwiftTest.test(suite: suite, statistics: statistics, environment: environment, skipBuild: false)
            ))
        report.append(
            (
                "no template: each test migrates its own empty database (50 migrations + 3 fixtures)",
                try SwiftTest.test(
                    suite: suite, statistics: nil,
                    environment: environment.merging(["PGFAST_BENCH_PER_TEST_MIGRATION": "1"]) { _, new in new },
                    filter: "PerTestMigrationTests")
            ))
    }

    static func defaultSuite() -> String {
        // This file is Benchmarks/Sources/PGFastBench/Clones.swift.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("WorkloadSuite").path
    }
}

/// A new, empty cluster in `/dev/shm`, started before the run it serves: a CI service's fresh server.
struct FreshServer {
    let root: String
    let server: EmbeddedServer
    var port: Int { server.port }

    static func start() async throws -> FreshServer {
        let root = "/dev/shm/pgfast-bench-\(UUID().uuidString.prefix(8))"
        // The layout `PGFAST_EMBEDDED_DIR` expects: one cluster per major version, `<root>/pg<major>`.
        let major =
            Shell.line(
                "ctl=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1); \"$ctl\" --version"
            )
            .split(separator: " ").last.map { String($0.split(separator: ".")[0]) } ?? "15"
        let server = try await EmbeddedServer.start(directory: root + "/pg" + major)
        return FreshServer(root: root, server: server)
    }

    /// Waits until the previous run's detached housekeeping (`psql`, application name
    /// "pgfast housekeeping") has finished on this server.
    func waitForHousekeeping() async {
        try? await Task.sleep(for: .milliseconds(200))
        guard let db = try? await Database.connect(try DatabaseConfig(url: server.socketURL)) else { return }
        for _ in 0..<1200 {
            let busy = try? await db.value(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfast housekeeping'", as: Int.self)
            if busy == 0 || busy == nil { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        await db.close()
    }

    func stop() async {
        try? await server.stop()
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Runs `swift test` on the suite and reads what PGFast wrote about the run.
enum SwiftTest {
    struct Outcome {
        var seconds: Double
        var statistics: [String: Any]
        /// Output lines that are not the test runner's or SwiftPM's (a passing run should have none).
        var otherLines: [String] = []

        var medianWait: Double? { statistics["median_wait_milliseconds"] as? Double }
        var slowestWait: Double? { (statistics["waits_milliseconds"] as? [Double])?.max() }

        static let phaseHeader = """
            | run | environment ready at | template builds | first clone ready at | first test / last test end | \
            clone create median (count) | connect median | slot wait median | drops during run | exit work |
            | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
            """

        /// One row of the phase table, from the statistics' `phases`.
        var phases: String {
            guard let phases = statistics["phases"] as? [String: Any] else {
                return "— | — | — | — | — | — | — | — | —"
            }
            func ms(_ key: String) -> String {
                (phases[key] as? Double).map { String(format: "%.0f", $0) } ?? "—"
            }
            func spread(_ key: String, count: Bool = false) -> String {
                guard let spread = phases[key] as? [String: Any], let n = spread["count"] as? Int, n > 0 else {
                    return "—"
                }
                let median = (spread["median_milliseconds"] as? Double).map { String(format: "%.1f", $0) } ?? "—"
                let total = (spread["total_milliseconds"] as? Double).map { String(format: "%.0f", $0) } ?? "—"
                return count ? "\(median) (\(n), Σ \(total))" : median
            }
            let builds = (phases["template_builds"] as? [[String: Any]] ?? []).map { build in
                String(format: "%.0f", build["milliseconds"] as? Double ?? 0)
            }.joined(separator: " + ")
            return "\(ms("environment_ready_at_milliseconds")) | \(builds.isEmpty ? "—" : builds) | "
                + "\(ms("first_clone_ready_at_milliseconds")) | \(ms("first_test_started_at_milliseconds")) / "
                + "\(ms("last_test_ended_at_milliseconds")) | \(spread("clone_creates", count: true)) | "
                + "\(spread("clone_connects")) | \(spread("slot_waits")) | \(spread("drops_during_run", count: true)) | "
                + "\(ms("shutdown_milliseconds"))"
        }

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
        // SwiftPM compiles the manifests again whenever the environment differs from its last
        // run (about 2.4 s here for the two manifests): a run that selects no test, untimed,
        // with this environment, so the timed run starts as a CI test step does after its build.
        // No test runs, so PGFast does not start.
        _ = try run(arguments + ["--filter", "PGFastBenchNoSuchTest"], environment: environment)
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
        let runnerPrefixes = ["◇", "✔", "➜", "↳", "􀟈", "􁁛", "Test Suite", "\t Executed", "Building", "Build ", "["]
        let other = output.split(separator: "\n").map(String.init).filter { line in
            !line.trimmingCharacters(in: .whitespaces).isEmpty && !runnerPrefixes.contains { line.hasPrefix($0) }
        }
        return Outcome(
            seconds: Double(seconds) + Double(attoseconds) / 1e18, statistics: values, otherLines: other)
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
