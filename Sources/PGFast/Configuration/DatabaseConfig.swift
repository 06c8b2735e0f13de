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
public struct DatabaseConfig: Sendable, CustomStringConvertible {
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

    /// The configuration as a URL-like line with the password replaced by `***`.
    public var description: String {
        let shown = parameters.map { key, value in
            key == "password" ? "password=***" : "\(key)=\(value)"
        }
        return "DatabaseConfig(\(shown.joined(separator: " ")), pool \(minConnections)...\(maxConnections))"
    }

    private static func parse(_ text: String) throws -> [(key: String, value: String)] {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &message) else {
            let reason = message.map { String(cString: $0) } ?? "unknown error"
            if let message { PQfreemem(message) }
            throw PostgresError(
                code: .invalidConfiguration,
                message: "malformed connection string \(redacted(text)): "
                    + reason.trimmingCharacters(in: .whitespacesAndNewlines))
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

    /// A connection string with any password hidden, for error messages.
    static func redacted(_ text: String) -> String {
        if text.contains("://"), let at = text.lastIndex(of: "@"),
            let scheme = text.range(of: "://"), scheme.upperBound < at
        {
            let userInfo = text[scheme.upperBound..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                return String(text[..<colon]) + ":***" + String(text[at...])
            }
            return text
        }
        guard let range = text.range(of: "password") else { return text }
        let rest = text[range.upperBound...].drop(while: { $0 == " " || $0 == "=" })
        let end = rest.firstIndex(of: " ") ?? rest.endIndex
        return String(text[..<range.upperBound]) + "=***" + String(rest[end...])
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a non-zero timeout never becomes 0 (off).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 > 0 ? millis + 1 : millis
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
