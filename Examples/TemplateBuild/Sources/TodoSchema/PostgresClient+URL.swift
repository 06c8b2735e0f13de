import Foundation
import PostgresNIO

extension PostgresClient.Configuration {
    /// A configuration from a `postgres://user:password@host:port/database` URL, such as
    /// `IsolatedDatabase.url` (postgres-nio takes host, port and credentials, not URLs).
    /// `?sslmode=require` (or `verify-full`) turns TLS on; without it TLS is off, as on a
    /// local test server.
    public init(url: String) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty
        else { throw URLError(.badURL) }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: TLS =
            ["require", "verify-ca", "verify-full"].contains(sslMode)
            ? .require(.makeClientConfiguration()) : .disable
        self.init(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.removingPercentEncoding ?? database, tls: tls)
    }
}
