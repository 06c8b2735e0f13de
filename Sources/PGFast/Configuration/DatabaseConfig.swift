import CLibPQ
import Foundation

/// How to reach a database and how to pool connections to it.
///
/// Built from a `postgres://` URL or a libpq conninfo string; anything left out
/// comes from libpq as usual: the `PG*` environment variables, `~/.pgpass`,
/// `sslmode` and the rest.
///
/// ```swift
/// var config = try DatabaseConfig(url: "postgresql://app@localhost:5432/app")
/// config.maxConnections = 20
/// config.statementTimeout = .seconds(60)
/// let db = try await Database.connect(config)
/// ```
public struct DatabaseConfig: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// libpq connection keywords given explicitly (URL or conninfo), in order.
    public private(set) var parameters: [(key: String, value: String)]

    /// Connections the pool opens at start and keeps open.
    public var minConnections = 1
    /// The most connections the pool opens at once.
    public var maxConnections = 10
    /// How long `acquire` waits for a free connection before failing.
    public var acquireTimeout: Duration = .seconds(10)
    /// How long opening one connection may take (libpq `connect_timeout`, whole seconds, at least 2).
    public var connectTimeout: Duration = .seconds(10)
    /// `statement_timeout` for every connection; nil keeps the server's default.
    public var statementTimeout: Duration?
    /// `lock_timeout` for every connection; nil keeps the server's default.
    public var lockTimeout: Duration?
    /// `idle_in_transaction_session_timeout` for every connection; nil keeps the server's default.
    public var idleInTransactionSessionTimeout: Duration?
    /// Idle connections above `minConnections` are closed after this long.
    public var idleTimeout: Duration? = .seconds(300)
    /// Connections are replaced after this long, when next idle.
    public var maxLifetime: Duration? = .seconds(3600)
    /// TLS; nil keeps what the URL or `PGSSLMODE` says (libpq's default is `prefer`).
    public var tls: TLS?
    /// `application_name`, shown in `pg_stat_activity`.
    public var applicationName: String?
    /// Statements slower than this are logged at warning level and counted in the pool's metrics.
    public var slowQueryThreshold: Duration?
    /// Further server settings applied at connect (`-c key=value` in the startup packet).
    public var serverSettings: [String: String] = [:]

    /// libpq defaults only: the `PG*` variables, `~/.pgpass`, a local socket.
    public init() {
        parameters = []
    }

    /// A `postgres://` or `postgresql://` URL, or a libpq conninfo string (`host=… dbname=…`).
    ///
    /// Malformed input throws an error that quotes libpq's reason, never the password.
    public init(url: String) throws {
        parameters = try Self.parse(url)
    }

    /// Same as ``init(url:)``, named for conninfo strings.
    public init(conninfo: String) throws {
        parameters = try Self.parse(conninfo)
    }

    /// `DATABASE_URL` when set; otherwise libpq's own `PG*` variables.
    ///
    /// ```swift
    /// let config = try DatabaseConfig.fromEnvironment()
    /// ```
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> DatabaseConfig {
        guard let url = environment["DATABASE_URL"], !url.isEmpty else { return DatabaseConfig() }
        do {
            return try DatabaseConfig(url: url)
        } catch var error as PostgresError {
            error.message = "DATABASE_URL: " + error.message
            throw error
        }
    }

    /// The value of a connection keyword given explicitly (`host`, `port`, `dbname`, `user`…).
    public subscript(parameter key: String) -> String? {
        get { parameters.last(where: { $0.key == key })?.value }
        set {
            parameters.removeAll { $0.key == key }
            if let newValue { parameters.append((key, newValue)) }
        }
    }

    /// The database name, when given explicitly.
    public var database: String? {
        get { self[parameter: "dbname"] }
        set { self[parameter: "dbname"] = newValue }
    }

    /// The user name, when given explicitly.
    public var user: String? {
        get { self[parameter: "user"] }
        set { self[parameter: "user"] = newValue }
    }

    /// The host (a name, an address or a socket directory), when given explicitly.
    public var host: String? {
        get { self[parameter: "host"] }
        set { self[parameter: "host"] = newValue }
    }

    /// The port, when given explicitly.
    public var port: Int? {
        get { self[parameter: "port"].flatMap { Int($0) } }
        set { self[parameter: "port"] = newValue.map(String.init) }
    }

    /// The keywords handed to `PQconnectdbParams`: the explicit ones, then the pool's settings.
    func connectionKeywords() -> [(String, String)] {
        var keywords = parameters.filter { $0.key != "options" }
        var options = self[parameter: "options"].map { [$0] } ?? []
        func setting(_ name: String, _ value: String) {
            options.append("-c \(name)=\(value.replacingAll(" ", with: "\\ "))")
        }
        if let statementTimeout { setting("statement_timeout", "\(statementTimeout.milliseconds)") }
        if let lockTimeout { setting("lock_timeout", "\(lockTimeout.milliseconds)") }
        if let idleInTransactionSessionTimeout {
            setting("idle_in_transaction_session_timeout", "\(idleInTransactionSessionTimeout.milliseconds)")
        }
        for (name, value) in serverSettings.sorted(by: { $0.key < $1.key }) { setting(name, value) }
        if !options.isEmpty { keywords.append(("options", options.joined(separator: " "))) }
        if let applicationName { keywords.append(("application_name", applicationName)) }
        if self[parameter: "connect_timeout"] == nil {
            keywords.append(("connect_timeout", "\(max(2, Int(connectTimeout.components.seconds)))"))
        }
        if let tls { keywords += tls.keywords }
        return keywords
    }

    /// The configuration as a conninfo-like line with every password replaced by `***`.
    public var description: String {
        "DatabaseConfig(\(shownParameters.joined(separator: " ")), pool \(minConnections)...\(maxConnections))"
    }

    /// ``description`` and the pool's settings; still no password.
    public var debugDescription: String {
        var text = description
        text += ", acquireTimeout \(acquireTimeout), connectTimeout \(connectTimeout)"
        if let statementTimeout { text += ", statementTimeout \(statementTimeout)" }
        if let lockTimeout { text += ", lockTimeout \(lockTimeout)" }
        if let applicationName { text += ", applicationName \(applicationName)" }
        if !serverSettings.isEmpty { text += ", serverSettings \(serverSettings.keys.sorted())" }
        return text
    }

    /// What `dump(config)` and `Mirror(reflecting:)` see: the parameters with secrets
    /// masked, never the stored values.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "parameters": shownParameters,
                "minConnections": minConnections,
                "maxConnections": maxConnections,
                "acquireTimeout": acquireTimeout,
                "connectTimeout": connectTimeout,
                "statementTimeout": statementTimeout as Any,
                "applicationName": applicationName as Any,
            ], displayStyle: .struct)
    }

    /// `key=value` per explicit parameter, secrets masked (also inside values such as a
    /// `replication` or `options` string that quotes a conninfo).
    private var shownParameters: [String] {
        parameters.map { key, value in
            Redaction.isSecret(key) ? "\(key)=\(Redaction.mask)" : Redaction.redact("\(key)=\(value)")
        }
    }

    private static func parse(_ text: String) throws -> [(key: String, value: String)] {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &message) else {
            let reason = message.map { String(cString: $0) } ?? "unknown error"
            if let message { PQfreemem(message) }
            throw PostgresError(
                code: .invalidConfiguration,
                message: "malformed connection string \(redacted(text)): "
                    + Redaction.scrub(reason.trimmingCharacters(in: .whitespacesAndNewlines), secretsOf: text))
        }
        defer { PQconninfoFree(options) }
        var parameters: [(key: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        return parameters
    }

    /// `text` (a URL or conninfo string) with every password hidden: what every message,
    /// description and log line of PGFast shows of a connection string.
    ///
    /// ```swift
    /// DatabaseConfig.redacted("postgres://app:s3cret@db/app?sslpassword=x")
    /// // "postgres://app:***@db/app?sslpassword=***"
    /// ```
    public static func redacted(_ text: String) -> String {
        Redaction.redact(text)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a non-zero timeout never becomes 0 (off);
    /// saturating, so an absurd duration is refused by the server instead of trapping here.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        let millis = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        if millis.overflow { return .max }
        return attoseconds % 1_000_000_000_000_000 > 0 && millis.partialValue < .max
            ? millis.partialValue + 1 : millis.partialValue
    }
}

extension Duration {
    /// `300ms`, `5s`, `1.5s`: for messages.
    var readable: String {
        let millis = milliseconds
        if millis < 1000 { return "\(millis)ms" }
        if millis % 1000 == 0 { return "\(millis / 1000)s" }
        return "\(Double(millis) / 1000)s"
    }
}
