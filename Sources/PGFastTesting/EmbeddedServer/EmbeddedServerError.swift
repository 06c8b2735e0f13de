import Foundation

/// An error from starting, attaching to or stopping the embedded PostgreSQL cluster.
///
/// The message says what to do next (what to install, which variable to set); when a
/// PostgreSQL tool failed, ``output`` holds what it printed and ``logFile`` names the
/// server log, because the reason a server did not start is usually only in that log.
///
/// ```swift
/// do {
///     let server = try await EmbeddedServer.shared()
///     print(server.url)
/// } catch let error as EmbeddedServerError where error.code == .binariesNotFound {
///     print(error.message)  // "… apt-get install -y postgresql …"
/// }
/// ```
public struct EmbeddedServerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong. A struct rather than an enum so that new codes are not a breaking change.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case binariesNotFound
            case noUnprivilegedUser
            case initdbFailed
            case startFailed
            case stopFailed
            case lockFailed
            case versionMismatch
            case invalidDirectory
            case commandFailed
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// `initdb`, `pg_ctl` or `postgres` could not be found.
        public static let binariesNotFound = Code(.binariesNotFound)
        /// Running as root and there is no unprivileged user to run PostgreSQL as.
        public static let noUnprivilegedUser = Code(.noUnprivilegedUser)
        /// `initdb` failed; the half-made cluster was left out of the data directory.
        public static let initdbFailed = Code(.initdbFailed)
        /// `pg_ctl start` (or `restart`) failed; see ``EmbeddedServerError/logFile``.
        public static let startFailed = Code(.startFailed)
        /// `pg_ctl stop` failed.
        public static let stopFailed = Code(.stopFailed)
        /// The cluster's lock file could not be opened or was held too long by another process.
        public static let lockFailed = Code(.lockFailed)
        /// The data directory was made by another PostgreSQL major version than the binaries found.
        public static let versionMismatch = Code(.versionMismatch)
        /// The cluster directory cannot be used (not creatable, socket path too long, not a cluster).
        public static let invalidDirectory = Code(.invalidDirectory)
        /// A helper command (such as `postgres --version`) failed.
        public static let commandFailed = Code(.commandFailed)

        public var description: String { base.rawValue }
    }

    /// What went wrong, for matching.
    public var code: Code
    /// A sentence for people: what failed and what to do about it.
    public var message: String
    /// What the failing command printed (stdout and stderr), and the end of the server log when relevant.
    public var output: String?
    /// The server log file, when the failure involved a server.
    public var logFile: String?

    /// Creates an error; `output` and `logFile` are optional details.
    public init(code: Code, message: String, output: String? = nil, logFile: String? = nil) {
        self.code = code
        self.message = message
        self.output = output
        self.logFile = logFile
    }

    public var description: String {
        var text = "EmbeddedServerError(\(code)): \(message)"
        if let output, !output.isEmpty {
            let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
            text +=
                "\n"
                + trimmed.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    " + $0 }
                .joined(separator: "\n")
        }
        if let logFile {
            text += "\nServer log: \(logFile)"
        }
        return text
    }
}
