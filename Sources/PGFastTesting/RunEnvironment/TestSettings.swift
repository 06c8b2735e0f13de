import Foundation
import Logging

/// Knobs for isolated databases, read from `PGFAST_*` environment variables.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `TEST_DATABASE_URL` | admin URL of the server to use | the embedded server |
/// | `PGFAST_KEEP_DATABASES` | `failed`, `all` or `none`: which test databases outlive their test | `failed` |
/// | `PGFAST_REBUILD_TEMPLATES` | `1` rebuilds every template once in this process | off |
/// | `PGFAST_PREFETCH` | clones kept ready per template | 8 |
/// | `PGFAST_CLONE_CONCURRENCY` | clones created at once | the machine's cores (at least 2) |
/// | `PGFAST_CLONE_STRATEGY` | `file_copy`, `wal_log` or `auto` (measured once per template and recorded on it) | auto |
/// | `PGFAST_MAX_CONNECTIONS` | connections this process may use on the server | a share of `max_connections` |
/// | `PGFAST_MAX_DATABASES` | isolated databases this process holds at once (tests beyond wait their turn) | 2 per core (at least 4), within the connection share |
/// | `PGFAST_TEST_CONNECTIONS` | pool size of each test database | 4 |
/// | `PGFAST_STOCK` | most clones per template left ready for the next run (it keeps as many as this run used) | 128 |
/// | `PGFAST_STOCK_BYTES` | bytes of ready clones per server and template lineage, shared by every process (`500MB`, `1GiB`) | 1 GiB, less when the cluster's filesystem has under 4 GiB free |
/// | `PGFAST_KEPT_MAX` | kept databases left on the server; older ones are dropped by the next run | 20 |
/// | `PGFAST_TEMPLATES_KEPT` | templates kept per lineage (switching branches back does not rebuild) | 3 |
/// | `PGFAST_LEASE_GRACE` | seconds a run without its lease lock still counts as alive after its last heartbeat | 30 |
/// | `PGFAST_LOG_LEVEL` | `trace` … `critical`: what PGFast prints | `notice` |
/// | `PGFAST_STATISTICS_FILE` | at exit, write a JSON summary of the run there (waits, templates built, clones made) | off |
struct TestSettings: Sendable {
    enum KeepPolicy: String, Sendable {
        case failed, all, none
    }

    var keep: KeepPolicy = .failed
    var forceRebuild = false
    var prefetch = 8
    /// As many creates at once as the server has cores (the embedded server runs on this machine's).
    var creationConcurrency = max(2, ProcessInfo.processInfo.activeProcessorCount)
    var cloneStrategy: CloneStrategy?
    var maxConnections: Int?
    var maxDatabases: Int?
    var testConnections = 4
    var statisticsFile: String?
    var stock = 128
    /// Nil: the default, decided against the server's free space (``StockBudget``).
    var stockBytes: Int64?
    var keptMax = 20
    var templatesKept = 3
    var grace = Liveness.defaultGrace
    var logLevel: Logger.Level = .notice

    init() {}

    init(environment: [String: String]) throws {
        func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw IsolatedDatabaseError(
                    code: .invalidConfiguration,
                    message: "\(name)=\(text) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        if let text = environment["PGFAST_KEEP_DATABASES"], !text.isEmpty {
            guard let policy = KeepPolicy(rawValue: text.lowercased()) else {
                throw IsolatedDatabaseError(
                    code: .invalidConfiguration,
                    message: "PGFAST_KEEP_DATABASES=\(text) is not one of failed, all, none")
            }
            keep = policy
        }
        if let text = environment["PGFAST_REBUILD_TEMPLATES"] {
            forceRebuild = ["1", "true", "yes"].contains(text.lowercased())
        }
        prefetch = try integer("PGFAST_PREFETCH", in: 0...256) ?? prefetch
        creationConcurrency = try integer("PGFAST_CLONE_CONCURRENCY", in: 1...64) ?? creationConcurrency
        cloneStrategy = try CloneStrategy.parse(environment["PGFAST_CLONE_STRATEGY"])
        maxConnections = try integer("PGFAST_MAX_CONNECTIONS", in: 4...10_000)
        maxDatabases = try integer("PGFAST_MAX_DATABASES", in: 1...10_000)
        testConnections = try integer("PGFAST_TEST_CONNECTIONS", in: 1...100) ?? testConnections
        stock = try integer("PGFAST_STOCK", in: 0...10_000) ?? stock
        if let text = environment["PGFAST_STOCK_BYTES"], !text.isEmpty {
            guard let bytes = Self.bytes(text) else {
                throw IsolatedDatabaseError(
                    code: .invalidConfiguration,
                    message: "PGFAST_STOCK_BYTES=\(text) is not a size in bytes (e.g. 1073741824, 500MB, 1GiB)")
            }
            stockBytes = bytes
        }
        keptMax = try integer("PGFAST_KEPT_MAX", in: 0...10_000) ?? keptMax
        templatesKept = try integer("PGFAST_TEMPLATES_KEPT", in: 1...100) ?? templatesKept
        grace = try Liveness.grace(environment: environment)
        logLevel = try PGFastLog.level(environment: environment)
        statisticsFile = environment["PGFAST_STATISTICS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `1048576`, `500MB`, `1.5GiB`, `64k`: bytes (K, M, G, T in powers of 1024, with or without `B`/`iB`).
    static func bytes(_ text: String) -> Int64? {
        var number = text.trimmingCharacters(in: .whitespaces).lowercased()
        var factor: Double = 1
        for suffix in ["ib", "b"] where number.hasSuffix(suffix) {
            number.removeLast(suffix.count)
            break
        }
        if let unit = number.last, let power = ["k": 1, "m": 2, "g": 3, "t": 4][String(unit)] {
            number.removeLast()
            factor = pow(1024, Double(power))
        }
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else {
            return nil
        }
        let bytes = value * factor
        return bytes < Double(Int64.max) ? Int64(bytes) : nil
    }
}
