import ArgumentParser
import Foundation
import PGFast

/// Issue 3: applying a set of migrations to an empty database with PGFast's
/// `Migrator`, against running the same files through `psql`, same server, same run.
///
/// Contenders, each on a database created for it (untimed) and dropped afterwards:
///
/// 1. PGFast: `Database.connect` + `Migrator(…).up()` + `close()`: reading, checksumming
///    and splitting the files, the advisory lock, the history table, one transaction per
///    migration with its history row;
/// 2. `psql -X -q -1 -v ON_ERROR_STOP=1 -f file`, one process per file in apply order
///    (each file its own transaction, no history): what a shell loop over the files does;
/// 3. one `psql` process with every file as an `-f` (one session, statements in
///    autocommit, no history): the cheapest way psql can run them.
///
/// `--rounds` rounds, rotating which contender goes first; the table shows the median.
struct MigrateBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Applying the workload's migrations to an empty database: PGFast's Migrator vs psql -f (issue 3)."
    )

    @OptionGroup var server: ServerOptions

    @Option(help: "The migrations directory (default: the shared workload, relative to the working directory).")
    var migrations = "../shared/workload/db/migrations"

    @Option(help: "How many times each contender runs (the median is reported).")
    var rounds = 5

    @Option(help: "The psql executable (a path, or a name looked up in PATH).")
    var psql = "psql"

    mutating func run() async throws {
        let directory = URL(fileURLWithPath: migrations).standardizedFileURL
        let loadStart = ContinuousClock.now
        let set = try MigrationSet.load(directories: [directory])
        let loadTime = ContinuousClock.now - loadStart
        let files = set.migrations.map(\.upFile.path)
        let psqlPath = try Self.resolve(psql)
        print(
            "migrations: \(set.migrations.count) in \(directory.path) (loaded and split in \(loadTime.millis.formatted(2)) ms)"
        )
        print("psql: \(psqlPath) (\(try ChildProcess.run(psqlPath, ["--version"]).trimmingCharacters(in: .newlines)))")

        let contenders: [MigrateContender] = [
            .pgfast(directory),
            .psqlPerFile(psqlPath, files),
            .psqlOneSession(psqlPath, files),
        ]
        var lines: [(endpoint: String, contender: String, seconds: [Double])] = []
        for endpoint in try await server.endpoints() {
            print("== \(endpoint)")
            let admin = try await Database.connect(try endpoint.pgfastConfig(connections: 1))
            var samples = Array(repeating: [Double](), count: contenders.count)
            for round in 0..<rounds {
                for offset in 0..<contenders.count {
                    let index = (round + offset) % contenders.count
                    let contender = contenders[index]
                    let name = "pgfast_bench_migrate_\(ProcessInfo.processInfo.processIdentifier)_\(round)_\(index)"
                    try await admin.execute("CREATE DATABASE \(identifier: name)")
                    var target = endpoint
                    target.database = name
                    let seconds = try await contender.run(on: target)
                    let tables = try await Self.tableCount(target)
                    try await admin.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
                    guard tables >= set.migrations.count else {
                        throw BenchmarkError(
                            "\(contender.name) left \(tables) tables, expected \(set.migrations.count)")
                    }
                    samples[index].append(seconds)
                    print(
                        "  [\(endpoint.name)] round \(round + 1): \(contender.name): "
                            + "\((seconds * 1000).formatted(1)) ms (\(tables) tables)")
                }
            }
            await admin.close()
            for (index, contender) in contenders.enumerated() {
                lines.append((endpoint.name, contender.name, samples[index]))
            }
        }

        print("")
        print("| contender | transport | median | per migration | vs PGFast |")
        print("| --- | --- | ---: | ---: | ---: |")
        for line in lines {
            let pgfast = lines.first { $0.endpoint == line.endpoint && $0.contender == contenders[0].name }!
            let value = median(line.seconds)
            print(
                "| \(line.contender) | \(line.endpoint) | \((value * 1000).formatted(1)) ms | "
                    + "\((value * 1000 / Double(set.migrations.count)).formatted(2)) ms | "
                    + "\((value / median(pgfast.seconds)).formatted(2))× |")
        }
        print("")
        print("Each figure is the median of \(rounds) rounds. Per-round figures (ms):")
        for line in lines {
            print(
                "  \(line.contender) [\(line.endpoint)]: "
                    + line.seconds.map { ($0 * 1000).formatted(1) }.joined(separator: ", "))
        }
    }

    /// User tables in the database, to check every contender really applied the set.
    static func tableCount(_ endpoint: Endpoint) async throws -> Int {
        let db = try await Database.connect(try endpoint.pgfastConfig(connections: 1))
        defer { Task { await db.close() } }
        return try await db.value(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
            as: Int.self)
    }

    static func resolve(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw BenchmarkError("\(executable) not found in PATH")
    }
}

/// One way of applying the migrations.
enum MigrateContender: Sendable {
    case pgfast(URL)
    case psqlPerFile(String, [String])
    case psqlOneSession(String, [String])

    var name: String {
        switch self {
        case .pgfast: "PGFast Migrator.up()"
        case .psqlPerFile: "psql -1 -f, one process per file"
        case .psqlOneSession: "psql, one process, every file as -f"
        }
    }

    /// Applies the set to `endpoint`'s (empty) database; returns the seconds it took.
    func run(on endpoint: Endpoint) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        switch self {
        case .pgfast(let directory):
            let db = try await Database.connect(try endpoint.pgfastConfig(connections: 1))
            do {
                try await Migrator(database: db, directories: [directory.path]).up()
            } catch {
                await db.close()
                throw error
            }
            await db.close()
        case .psqlPerFile(let psql, let files):
            let conninfo = endpoint.conninfo
            try await ChildProcess.onThread {
                for file in files {
                    _ = try ChildProcess.run(
                        psql, ["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-f", file])
                }
            }
        case .psqlOneSession(let psql, let files):
            let arguments =
                ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", endpoint.conninfo] + files.flatMap { ["-f", $0] }
            try await ChildProcess.onThread { _ = try ChildProcess.run(psql, arguments) }
        }
        return (clock.now - start).seconds
    }
}

extension Endpoint {
    /// A libpq conninfo for command-line clients, TLS off like the PGFast side.
    var conninfo: String {
        var parts: [String] = []
        switch transport {
        case .tcp(let host, let port): parts += ["host=\(host)", "port=\(port)"]
        case .unixSocket(let directory, let port): parts += ["host=\(directory)", "port=\(port)"]
        }
        parts += ["user=\(user)", "dbname=\(database)", "sslmode=disable"]
        if let password { parts.append("password=\(password)") }
        return parts.joined(separator: " ")
    }
}

/// Child processes for the psql contenders, run off the cooperative pool.
enum ChildProcess {
    /// Runs `executable` to completion; its standard output, or an error with its standard error.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkError(
                "\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): "
                    + String(decoding: errData, as: UTF8.self))
        }
        return String(decoding: outData, as: UTF8.self)
    }

    /// Runs blocking `body` on a thread of its own and waits for it without blocking the caller's executor.
    static func onThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            Thread.detachNewThread {
                do {
                    try body()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
    var millis: Double { seconds * 1000 }
}
