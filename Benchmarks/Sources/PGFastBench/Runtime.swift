import ArgumentParser
import Foundation
import Logging
import PGFast
import PostgresNIO

/// Issue 2: the runtime against postgres-nio, same server, same run.
///
/// 1. sequential `SELECT $1::int4` round trips on one connection;
/// 2. the same from 8 tasks over a pool of 8;
/// 3. decoding 100,000 rows of (int8, text, timestamptz, float8, bool).
///
/// Each measurement runs both clients back to back, alternating which goes
/// first, `--rounds` times; the table shows the median round.
struct RuntimeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Round trips and row decoding: PGFast vs postgres-nio (issue 2)."
    )

    @OptionGroup var server: ServerOptions

    @Option(help: "Timed round trips per sequential measurement.")
    var roundTrips = 20_000

    @Option(help: "Timed round trips per concurrent measurement (all tasks together).")
    var concurrentRoundTrips = 40_000

    @Option(help: "Concurrent tasks, and the size of both pools.")
    var tasks = 8

    @Option(help: "Untimed round trips before each measurement.")
    var warmup = 2_000

    @Option(help: "Rows in the decoding query.")
    var rows = 100_000

    @Option(help: "Timed decoding queries per measurement (the median is kept).")
    var decodeQueries = 5

    @Option(help: "How many times each measurement runs (the median is reported).")
    var rounds = 3

    @Option(
        parsing: .upToNextOption,
        help: "Scenarios to run: 1 1b 2 2b 3 (default: all).")
    var scenarios: [String] = ["1", "1b", "2", "2b", "3"]

    @Option(
        parsing: .upToNextOption,
        help: "Clients to run: PGFast postgres-nio (default: both; one alone is for profiling).")
    var clients: [String] = [Client.pgfast.rawValue, Client.nio.rawValue]

    mutating func run() async throws {
        let endpoints = try await server.endpoints()
        let settings = RuntimeSettings(
            roundTrips: roundTrips, concurrentRoundTrips: concurrentRoundTrips, tasks: tasks, warmup: warmup,
            rows: rows, decodeQueries: decodeQueries, rounds: rounds, scenarios: Set(scenarios),
            clients: clients.compactMap(Client.init(rawValue:)))
        var lines: [ResultLine] = []
        for endpoint in endpoints {
            print("== \(endpoint)")
            lines += try await runRuntime(on: endpoint, settings)
        }
        printTable(lines, rounds: rounds)
    }
}

struct RuntimeSettings: Sendable {
    var roundTrips: Int
    var concurrentRoundTrips: Int
    var tasks: Int
    var warmup: Int
    var rows: Int
    var decodeQueries: Int
    var rounds: Int
    var scenarios: Set<String>
    var clients: [Client]
}

/// postgres-nio gets a logger that drops everything, as PGFast's pools do below.
let quietLogger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

/// The clients of one endpoint, opened once for the whole run.
struct RuntimeClients: Sendable {
    let pgfastSingle: ConnectionPool  // min = max = 1
    let pgfastPool: ConnectionPool  // min = max = tasks
    let nioConnection: PostgresConnection
    let nioSingle: PostgresClient  // 1 connection, the peer of PGFast's per-query path
    let nioPool: PostgresClient  // tasks connections

    var pgfastSingleDB: Database { Database(pool: pgfastSingle) }
    var pgfastPoolDB: Database { Database(pool: pgfastPool) }
}

func runRuntime(on endpoint: Endpoint, _ settings: RuntimeSettings) async throws -> [ResultLine] {
    let pgfastSingle = try await ConnectionPool(endpoint.pgfastConfig(connections: 1), logger: quietLogger)
    let pgfastPool = try await ConnectionPool(
        endpoint.pgfastConfig(connections: settings.tasks), logger: quietLogger)
    let nioConnection = try await PostgresConnection.connect(
        configuration: endpoint.nioConnectionConfig, id: 1, logger: quietLogger)
    let nioSingle = PostgresClient(configuration: endpoint.nioClientConfig(connections: 1))
    let nioPool = PostgresClient(configuration: endpoint.nioClientConfig(connections: settings.tasks))
    let clients = RuntimeClients(
        pgfastSingle: pgfastSingle, pgfastPool: pgfastPool, nioConnection: nioConnection,
        nioSingle: nioSingle, nioPool: nioPool)

    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await nioSingle.run() }
        group.addTask { await nioPool.run() }
        defer { group.cancelAll() }
        // Both postgres-nio clients open their connections before timing starts.
        try await waitForConnections(nioPool, settings.tasks)

        let lines = try await measureAll(clients, endpoint, settings)

        try await nioConnection.close()
        await pgfastSingle.close()
        await pgfastPool.close()
        return lines
    }
}

/// Leases all connections at once so the pool has opened them.
private func waitForConnections(_ client: PostgresClient, _ count: Int) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<count {
            group.addTask {
                try await client.withConnection { _ in try await Task.sleep(for: .milliseconds(50)) }
            }
        }
        try await group.waitForAll()
    }
}

private func measureAll(
    _ clients: RuntimeClients, _ endpoint: Endpoint, _ settings: RuntimeSettings
) async throws -> [ResultLine] {
    let n = settings.roundTrips
    let concurrent = settings.concurrentRoundTrips
    let tasks = settings.tasks
    var lines: [ResultLine] = []

    // 1. Sequential round trips on one connection.
    if settings.scenarios.contains("1") {
        lines.append(
            try await compare(
                "1. sequential, one connection (PGFast: loop inside withConnection)", endpoint, settings,
                goal: 1.5, unit: "ops/s",
                pgfast: { count in try await pgfastLoopInWithConnection(clients.pgfastSingle, count) },
                nio: { count in try await nioLoopOnConnection(clients.nioConnection, count) },
                operations: n))
    }
    if settings.scenarios.contains("1b") {
        lines.append(
            try await compare(
                "1b. sequential, pooled per query (db.value / PostgresClient.query), pool of 1", endpoint, settings,
                goal: nil, unit: "ops/s",
                pgfast: { count in try await pgfastPerQuery(clients.pgfastSingleDB, count) },
                nio: { count in try await nioPerQuery(clients.nioSingle, count) },
                operations: n))
    }

    // 2. The same from `tasks` tasks over a pool of `tasks`.
    if settings.scenarios.contains("2") {
        lines.append(
            try await compare(
                "2. \(tasks) tasks, pool of \(tasks), per query (db.value / PostgresClient.query)", endpoint, settings,
                goal: 1.5, unit: "ops/s",
                pgfast: { count in
                    try await concurrently(tasks, count) { share in
                        try await pgfastPerQuery(clients.pgfastPoolDB, share)
                    }
                },
                nio: { count in
                    try await concurrently(tasks, count) { share in try await nioPerQuery(clients.nioPool, share) }
                },
                operations: concurrent))
    }
    if settings.scenarios.contains("2b") {
        lines.append(
            try await compare(
                "2b. \(tasks) tasks, pool of \(tasks), loop inside withConnection", endpoint, settings,
                goal: nil, unit: "ops/s",
                pgfast: { count in
                    try await concurrently(tasks, count) { share in
                        try await pgfastLoopInWithConnection(clients.pgfastPool, share)
                    }
                },
                nio: { count in
                    try await concurrently(tasks, count) { share in
                        try await clients.nioPool.withConnection { connection in
                            try await nioLoopOnConnection(connection, share)
                        }
                    }
                },
                operations: concurrent))
    }

    // 3. Decoding.
    if settings.scenarios.contains("3") {
        lines.append(try await compareDecoding(clients, endpoint, settings))
    }
    return lines
}

/// Measures one scenario for both clients: `rounds` rounds, alternating which client goes first.
private func compare(
    _ scenario: String, _ endpoint: Endpoint, _ settings: RuntimeSettings, goal: Double?, unit: String,
    pgfast: @escaping @Sendable (Int) async throws -> Void,
    nio: @escaping @Sendable (Int) async throws -> Void,
    operations: Int
) async throws -> ResultLine {
    var line = ResultLine(scenario: scenario, transport: endpoint.name, unit: unit, goal: goal)
    for round in 0..<settings.rounds {
        let order: [Client] = round % 2 == 0 ? [.pgfast, .nio] : [.nio, .pgfast]
        for client in order where settings.clients.contains(client) {
            let body = client == .pgfast ? pgfast : nio
            try await body(settings.warmup)
            let sample = try await timed(operations: operations) { try await body(operations) }
            switch client {
            case .pgfast: line.pgfast.append(sample.perSecond)
            case .nio: line.nio.append(sample.perSecond)
            }
            print(
                "  [\(endpoint.name)] \(scenario) round \(round + 1): \(client.rawValue) "
                    + "\(sample.perSecond.grouped) \(unit)")
        }
    }
    return line
}

/// Splits `count` operations over `tasks` child tasks and waits for all.
private func concurrently(
    _ tasks: Int, _ count: Int, _ body: @escaping @Sendable (Int) async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            let share = count / tasks + (task < count % tasks ? 1 : 0)
            group.addTask { try await body(share) }
        }
        try await group.waitForAll()
    }
}

// MARK: - Round trips

/// PGFast: one connection lent once; the loop runs on the connection's own thread.
private func pgfastLoopInWithConnection(_ pool: ConnectionPool, _ count: Int) async throws {
    try await pool.withConnection { connection in
        for i in 0..<count {
            let value = try await connection.value("SELECT \(i)::int4", as: Int32.self)
            guard value == i else { throw BenchmarkError("PGFast returned \(value) for \(i)") }
        }
    }
}

/// PGFast: each statement borrows a connection from the pool (`db.value`).
private func pgfastPerQuery(_ db: Database, _ count: Int) async throws {
    for i in 0..<count {
        let value = try await db.value("SELECT \(i)::int4", as: Int32.self)
        guard value == i else { throw BenchmarkError("PGFast returned \(value) for \(i)") }
    }
}

/// postgres-nio: a loop of `query` on one `PostgresConnection`.
private func nioLoopOnConnection(_ connection: PostgresConnection, _ count: Int) async throws {
    for i in 0..<count {
        let rows = try await connection.query("SELECT \(i)::int4", logger: quietLogger)
        var value: Int32 = -1
        for try await decoded in rows.decode(Int32.self) { value = decoded }
        guard value == i else { throw BenchmarkError("postgres-nio returned \(value) for \(i)") }
    }
}

/// postgres-nio: each statement leases a connection from the `PostgresClient`.
private func nioPerQuery(_ client: PostgresClient, _ count: Int) async throws {
    for i in 0..<count {
        let rows = try await client.query("SELECT \(i)::int4")
        var value: Int32 = -1
        for try await decoded in rows.decode(Int32.self) { value = decoded }
        guard value == i else { throw BenchmarkError("postgres-nio returned \(value) for \(i)") }
    }
}
