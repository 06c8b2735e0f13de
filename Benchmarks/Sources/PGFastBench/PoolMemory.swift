import ArgumentParser
import Foundation
import PGFast
import Synchronization

/// Issue 12: memory under a contended pool. 8 tasks share a pool of 4 with a
/// 120 s `acquireTimeout`, 200,000 queries in all, so at any moment about
/// half the tasks wait in line. Before the pool's rewrite every wait kept a
/// sleeping task until its timeout (173 MB over this run); now one timer
/// serves the whole line and memory must stay flat (within 20 MB of the
/// warmed-up figure).
///
/// Resident memory is read from `/proc/self/status` (`VmRSS`, and `VmHWM`
/// for the peak), sampled every 100 ms while the queries run.
struct PoolMemoryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-memory",
        abstract: "Resident memory over contended pooled queries (issue 12)."
    )

    @OptionGroup var server: ServerOptions

    @Option(help: "Queries in all (spread over the tasks).")
    var queries = 200_000

    @Option(help: "Concurrent tasks.")
    var tasks = 8

    @Option(help: "The pool's size (min = max).")
    var connections = 4

    @Option(help: "The pool's acquireTimeout, in seconds.")
    var acquireTimeout = 120

    @Option(help: "Untimed queries before the baseline is taken.")
    var warmup = 5_000

    @Option(help: "Allowed growth over the baseline, in MB; the run fails above it.")
    var limit = 20

    mutating func run() async throws {
        guard let endpoint = try await server.endpoints().first else { throw BenchmarkError("no endpoint") }
        print("== \(endpoint)")
        var config = try endpoint.pgfastConfig(connections: connections)
        config.acquireTimeout = .seconds(acquireTimeout)
        let pool = try await ConnectionPool(config, logger: quietLogger)
        let db = Database(pool: pool)
        let tasks = self.tasks
        try await Self.contend(db, queries: warmup, tasks: tasks)
        let baseline = Memory.current()
        let peak = Peak()
        let sampler = Task {
            while !Task.isCancelled {
                peak.note(Memory.current().resident)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let started = ContinuousClock.now
        try await Self.contend(db, queries: queries, tasks: tasks)
        let elapsed = ContinuousClock.now - started
        sampler.cancel()
        let end = Memory.current()
        peak.note(end.resident)
        let metrics = await pool.metrics
        await pool.close()

        let growth = peak.value - baseline.resident
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            """
            \(queries) queries, \(tasks) tasks, pool of \(connections), acquireTimeout \(acquireTimeout) s: \
            \(Int(Double(queries) / seconds)) queries/s
            resident after warm-up \(Memory.megabytes(baseline.resident)), peak sampled \
            \(Memory.megabytes(peak.value)), at the end \(Memory.megabytes(end.resident)), \
            process peak (VmHWM) \(Memory.megabytes(end.highWater))
            growth over the warm-up figure: \(Memory.megabytes(growth)) (limit \(limit) MB)
            pool: acquired \(metrics.acquired), acquireTimeouts \(metrics.acquireTimeouts), waiting now \(metrics.waiting)
            """)
        guard growth <= limit * 1_048_576 else {
            throw BenchmarkError("memory grew by \(Memory.megabytes(growth)), over the \(limit) MB limit")
        }
    }

    static func contend(_ db: Database, queries: Int, tasks: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                let share = queries / tasks + (task < queries % tasks ? 1 : 0)
                group.addTask {
                    for i in 0..<share {
                        let value = try await db.value("SELECT \(Int32(truncatingIfNeeded: i))::int4", as: Int32.self)
                        precondition(value == Int32(truncatingIfNeeded: i))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// The highest sample seen, from the sampler task.
private final class Peak: Sendable {
    private let highest = Mutex(0)
    var value: Int { highest.withLock { $0 } }
    func note(_ bytes: Int) { highest.withLock { $0 = max($0, bytes) } }
}

/// The process's resident memory, from `/proc/self/status` (Linux).
enum Memory {
    static func current() -> (resident: Int, highWater: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }
}
