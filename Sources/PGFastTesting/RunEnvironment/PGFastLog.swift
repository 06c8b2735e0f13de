import Foundation
import Logging

/// How much PGFast's testing module and CLI say: `PGFAST_LOG_LEVEL`
/// (`trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`), `notice` by default,
/// so a passing run prints nothing of PGFast's.
public enum PGFastLog {
    /// The level `PGFAST_LOG_LEVEL` names; `notice` when unset. Throws on a bad value.
    public static func level(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> Logger.Level
    {
        guard let text = environment["PGFAST_LOG_LEVEL"], !text.isEmpty else { return .notice }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw IsolatedDatabaseError(
                code: .invalidConfiguration,
                message: "PGFAST_LOG_LEVEL=\(text) is not one of "
                    + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return level
    }

    /// A logger at the `PGFAST_LOG_LEVEL` level (`notice` when the value is bad: ``level(environment:)`` reports that).
    public static func logger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = (try? level()) ?? .notice
        return logger
    }
}
