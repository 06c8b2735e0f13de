import Foundation
import Testing

/// Runs scenarios of this test bundle in a child process: what `swift test` does
/// in another terminal, or what a CI shard does, against the same server.
///
/// The child is this very executable, filtered to one test of
/// ``ChildProcessScenarios``, which only run when `PGFAST_SCENARIO_OUTPUT` is set.
struct ChildProcess {
    let process = Process()
    let output: URL
    private let log: URL
    private let directory: URL

    static var isSupported: Bool {
        #if os(Linux)
            true
        #else
            false  // On macOS the tests run inside xctest/swiftpm-testing-helper, not an executable of their own.
        #endif
    }

    init(scenario: String, extraArguments: [String] = [], environment extra: [String: String] = [:]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        output = directory.appendingPathComponent("output")
        log = directory.appendingPathComponent("log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments =
            ["--testing-library", "swift-testing", "--filter", "ChildProcessScenarios/\(scenario)"]
            + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["PGFAST_SCENARIO_OUTPUT"] = output.path
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
    }

    func start() throws { try process.run() }

    /// Waits for the child to exit; returns its status and everything it printed.
    func wait() async -> (status: Int32, log: String) {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// Runs the scenario to its end.
    static func run(
        _ scenario: String, extraArguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> (status: Int32, log: String, lines: [String]) {
        let child = try ChildProcess(scenario: scenario, extraArguments: extraArguments, environment: environment)
        try child.start()
        let (status, log) = await child.wait()
        let lines = child.lines
        child.removeFiles()
        return (status, log, lines)
    }

    /// Removes the child's output and log (read them first): a full run starts hundreds of children.
    func removeFiles() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The lines the scenario wrote to its output file.
    var lines: [String] {
        ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until the scenario wrote `count` lines (or gave up after `timeout`).
    func waitForLines(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while lines.count < count {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let log = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                Issue.record("child scenario wrote \(lines.count) of \(count) lines; its log:\n\(log)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return lines
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
    }
}

/// Writes a line to the parent's output file. O_APPEND: tests running in parallel
/// each append a whole line (a seek then a write could overwrite another's line).
func reportToParent(_ line: String) {
    guard let path = ProcessInfo.processInfo.environment["PGFAST_SCENARIO_OUTPUT"] else { return }
    let descriptor = open(path, O_WRONLY | O_APPEND)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}
