import ArgumentParser

/// `PGFastBench`: one subcommand per benchmark scenario (issue numbers in each file).
///
/// Always run release builds:
///
///     swift run -c release --package-path Benchmarks PGFastBench runtime
@main
struct PGFastBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "PGFastBench",
        abstract: "PGFast benchmarks against postgres-nio, over the same server in the same run.",
        subcommands: [RuntimeBenchmark.self, MigrateBenchmark.self, ClonesBenchmark.self, PoolMemoryBenchmark.self]
    )
}

/// Where the server is: `--url` (a libpq URL), else the embedded server.
struct ServerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A libpq URL of the server, e.g. postgresql://postgres@127.0.0.1:5450/postgres. "
                + "TCP host required; the unix-socket lines use --socket-dir."))
    var url: String?

    @Option(help: "The directory of the server's unix socket (.s.PGSQL.<port>), for the unix-socket lines.")
    var socketDir: String?

    @Flag(help: "Skip the unix-socket lines.")
    var tcpOnly = false
}
