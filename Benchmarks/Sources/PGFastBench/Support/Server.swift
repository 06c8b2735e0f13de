import Foundation
import PGFast
import PGFastTesting
import PostgresNIO

/// One server endpoint, described once and handed to both clients the same way.
struct Endpoint: Sendable, CustomStringConvertible {
    enum Transport: Sendable {
        case tcp(host: String, port: Int)
        case unixSocket(directory: String, port: Int)
    }

    var transport: Transport
    var user: String
    var password: String?
    var database: String

    var name: String {
        switch transport {
        case .tcp: "tcp"
        case .unixSocket: "unix"
        }
    }

    var description: String {
        switch transport {
        case .tcp(let host, let port): "TCP \(host):\(port), user \(user), database \(database), TLS off"
        case .unixSocket(let directory, let port):
            "unix socket \(directory)/.s.PGSQL.\(port), user \(user), database \(database), TLS off"
        }
    }

    /// PGFast's configuration: a libpq conninfo with sslmode=disable.
    func pgfastConfig(connections: Int) throws -> DatabaseConfig {
        var parts: [String] = []
        switch transport {
        case .tcp(let host, let port): parts += ["host=\(quote(host))", "port=\(port)"]
        case .unixSocket(let directory, let port): parts += ["host=\(quote(directory))", "port=\(port)"]
        }
        parts += ["user=\(quote(user))", "dbname=\(quote(database))"]
        if let password { parts.append("password=\(quote(password))") }
        var config = try DatabaseConfig(conninfo: parts.joined(separator: " "))
        config.tls = .disable
        config.minConnections = connections
        config.maxConnections = connections
        return config
    }

    /// postgres-nio's single-connection configuration, TLS disabled.
    var nioConnectionConfig: PostgresConnection.Configuration {
        switch transport {
        case .tcp(let host, let port):
            PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
        case .unixSocket(let directory, let port):
            PostgresConnection.Configuration(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: user, password: password,
                database: database)
        }
    }

    /// postgres-nio's pool configuration with exactly `connections` connections, TLS disabled.
    func nioClientConfig(connections: Int) -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        switch transport {
        case .tcp(let host, let port):
            config = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
        case .unixSocket(let directory, let port):
            config = PostgresClient.Configuration(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: user, password: password,
                database: database)
        }
        config.options.minimumConnections = connections
        config.options.maximumConnections = connections
        // No idle pings during a measurement.
        config.options.keepAliveBehavior = nil
        return config
    }

    private func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}

extension ServerOptions {
    /// The TCP endpoint and, unless `--tcp-only`, the unix-socket endpoint of the same server:
    /// `--url`, else the embedded server (`EmbeddedServer.shared()`, started if needed).
    func endpoints() async throws -> [Endpoint] {
        var url = self.url
        var socketDir = self.socketDir
        if url == nil {
            let server = try await EmbeddedServer.shared()
            print(
                "embedded server: PostgreSQL \(server.serverVersion), \(server.url), socket \(server.socketDirectory)")
            url = server.url
            socketDir = socketDir ?? server.socketDirectory
        }
        let config = try DatabaseConfig(url: url!)
        let host = config.host ?? "127.0.0.1"
        guard !host.hasPrefix("/") else {
            throw BenchmarkError(
                "--url must name a TCP host (both clients use loopback TCP); use --socket-dir for sockets")
        }
        let port = config.port ?? 5432
        let user = config.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let database = config.database ?? user
        let password = config[parameter: "password"]
        var endpoints = [
            Endpoint(transport: .tcp(host: host, port: port), user: user, password: password, database: database)
        ]
        if !tcpOnly, let socketDir {
            endpoints.append(
                Endpoint(
                    transport: .unixSocket(directory: socketDir, port: port), user: user, password: password,
                    database: database))
        }
        return endpoints
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
