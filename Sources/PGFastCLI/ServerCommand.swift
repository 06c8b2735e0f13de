import ArgumentParser
import PGFastTesting

/// `pgfast server start|stop|status|url`: the embedded local cluster.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Manage the embedded local PostgreSQL cluster.",
        subcommands: [Start.self, Stop.self, Status.self, URL.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the embedded cluster (create it on first use).")

        func run() async throws {
            let server = try await EmbeddedServer.shared()
            print("running  \(server.url)")
            print("socket   \(server.socketURL)")
            print("data     \(server.dataDirectory)")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")

        func run() async throws {
            guard let server = try await EmbeddedServer.sharedIfRunning() else {
                print("not running")
                return
            }
            try await server.stop()
            print("stopped")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the embedded cluster runs (exit status 1 when it does not).")

        func run() async throws {
            guard let server = try await EmbeddedServer.sharedIfRunning() else {
                print("not running (data directory root: \(EmbeddedServer.defaultDirectory))")
                throw ExitCode.failure
            }
            print(
                Terminal.table(
                    ["status", "version", "url", "data"],
                    [["running", server.serverVersion, server.url, server.dataDirectory]],
                    colors: [(0, { _ in .green })]))
        }
    }

    struct URL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the embedded cluster's URL (starting it if needed).")

        @Flag(help: "The Unix-socket URL (libpq clients only) instead of loopback TCP.")
        var socket = false

        @Option(help: "The database in the URL.")
        var database = "postgres"

        func run() async throws {
            let server = try await EmbeddedServer.shared()
            print(socket ? server.socketURL(database: database) : server.url(database: database))
        }
    }
}
