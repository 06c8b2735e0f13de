import ArgumentParser
import Foundation
import PGFast

/// `pgfast`: the embedded server, migrations, and test databases from the shell.
@main
struct PGFastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgfast",
        abstract: "PostgreSQL migrations and fast isolated test databases.",
        discussion: """
            Connects to --database-url, else DATABASE_URL, else the embedded local server \
            (started on first use, kept running). Exit status: 0 success, 1 failure, 64 usage error.
            """,
        version: PGFastVersion.string,
        subcommands: [ServerCommand.self, SchemaCommand.self, TestDBCommand.self]
    )

    /// Runs the command; any error becomes a clear message on standard error and exit status 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CommandFailure {
            Terminal.error(error.message)
            Self.exit(withError: ExitCode.failure)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue == 64 || error is ExitCode {
                Self.exit(withError: error)
            }
            Terminal.error(String(describing: error))
            Self.exit(withError: ExitCode.failure)
        }
    }
}

/// A failure already explained in `message`: printed as is, exit status 1.
struct CommandFailure: Error {
    let message: String
}
