import Foundation
import Synchronization

/// Where a run's time went, for `PGFAST_STATISTICS_FILE` and the cold-path
/// benchmark: when the environment came up, each template build, each clone's
/// create and connect, the waits for a slot and for a clone, the drops done
/// during the run, the first and last test, and the work at exit.
///
/// Offsets are measured from the process's start (read from `/proc/self/stat`
/// on Linux; elsewhere from the first use of this type), so that "process start"
/// and "exit" can be told apart from the tests in the benchmark's wall time.
final class RunTimings: Sendable {
    static let shared = RunTimings()

    struct TemplateBuild: Sendable, Encodable {
        var template: String
        var startedAtMilliseconds: Double
        var milliseconds: Double
    }

    private struct State {
        var environmentStarted: Duration?
        var environmentReady: Duration?
        var builds: [TemplateBuild] = []
        var creates: [Duration] = []
        var connects: [Duration] = []
        var slotWaits: [Duration] = []
        var drops: [Duration] = []
        var firstTestStarted: Duration?
        var lastTestEnded: Duration?
        var shutdownStarted: Duration?
        var shutdownEnded: Duration?
        var firstCloneReady: Duration?
    }

    private let state = Mutex(State())
    private let origin: ContinuousClock.Instant
    /// How long the process had been running when `origin` was taken.
    private let originOffset: Duration

    private init() {
        origin = .now
        originOffset = Self.processAge() ?? .zero
    }

    /// Time since the process started.
    var now: Duration { ContinuousClock.now - origin + originOffset }

    func environmentStarting() { state.withLock { $0.environmentStarted = $0.environmentStarted ?? now } }
    func environmentReady() { state.withLock { $0.environmentReady = $0.environmentReady ?? now } }

    func recordBuild(template: String, started: Duration, elapsed: Duration) {
        state.withLock {
            $0.builds.append(
                TemplateBuild(
                    template: template, startedAtMilliseconds: started.inMilliseconds,
                    milliseconds: elapsed.inMilliseconds))
        }
    }

    func recordCreate(_ elapsed: Duration) { state.withLock { $0.creates.append(elapsed) } }
    func recordConnect(_ elapsed: Duration) {
        let at = now
        state.withLock {
            $0.connects.append(elapsed)
            $0.firstCloneReady = $0.firstCloneReady ?? at
        }
    }
    func recordSlotWait(_ elapsed: Duration) { state.withLock { $0.slotWaits.append(elapsed) } }
    func recordDrop(_ elapsed: Duration) { state.withLock { $0.drops.append(elapsed) } }

    func testStarted() {
        let at = now
        state.withLock { $0.firstTestStarted = $0.firstTestStarted ?? at }
    }
    func testEnded() {
        let at = now
        state.withLock { $0.lastTestEnded = max($0.lastTestEnded ?? at, at) }
    }
    func shutdownStarting() { state.withLock { $0.shutdownStarted = $0.shutdownStarted ?? now } }
    func shutdownEnded() { state.withLock { $0.shutdownEnded = now } }

    /// The phases as the statistics file shows them (milliseconds).
    struct Summary: Encodable {
        var environmentStartedAtMilliseconds: Double?
        var environmentReadyAtMilliseconds: Double?
        var templateBuilds: [TemplateBuild]
        var firstCloneReadyAtMilliseconds: Double?
        var firstTestStartedAtMilliseconds: Double?
        var lastTestEndedAtMilliseconds: Double?
        var shutdownStartedAtMilliseconds: Double?
        var shutdownMilliseconds: Double?
        var cloneCreates: Spread
        var cloneConnects: Spread
        var slotWaits: Spread
        var dropsDuringRun: Spread
    }

    /// Count, sum, median and maximum of a list of durations.
    struct Spread: Encodable {
        var count: Int
        var totalMilliseconds: Double
        var medianMilliseconds: Double?
        var maxMilliseconds: Double?

        init(_ durations: [Duration]) {
            let values = durations.map(\.inMilliseconds).sorted()
            count = values.count
            totalMilliseconds = values.reduce(0, +)
            medianMilliseconds = values.isEmpty ? nil : values[values.count / 2]
            maxMilliseconds = values.last
        }
    }

    var summary: Summary {
        state.withLock { state in
            Summary(
                environmentStartedAtMilliseconds: state.environmentStarted?.inMilliseconds,
                environmentReadyAtMilliseconds: state.environmentReady?.inMilliseconds,
                templateBuilds: state.builds,
                firstCloneReadyAtMilliseconds: state.firstCloneReady?.inMilliseconds,
                firstTestStartedAtMilliseconds: state.firstTestStarted?.inMilliseconds,
                lastTestEndedAtMilliseconds: state.lastTestEnded?.inMilliseconds,
                shutdownStartedAtMilliseconds: state.shutdownStarted?.inMilliseconds,
                shutdownMilliseconds: zip(state.shutdownStarted, state.shutdownEnded).map { ($1 - $0).inMilliseconds },
                cloneCreates: Spread(state.creates), cloneConnects: Spread(state.connects),
                slotWaits: Spread(state.slotWaits), dropsDuringRun: Spread(state.drops))
        }
    }

    /// How long ago the process started, from `/proc/self/stat` (field 22, in clock ticks since boot).
    private static func processAge() -> Duration? {
        #if os(Linux)
            guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
                let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
                let uptime = uptimeText.split(separator: " ").first.flatMap({ Double($0) }),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name (which may hold spaces) start at field 3.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
            let age = uptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
            return age >= 0 ? .milliseconds(Int(age * 1000)) : nil
        #else
            return nil
        #endif
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

extension Duration {
    /// The duration in (fractional) milliseconds.
    var inMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
