import Foundation
import Logging
import PGFast

/// The server isolated databases live on: `TEST_DATABASE_URL` (an admin URL)
/// when set, else the embedded cluster.
struct TestServer: Sendable {
    /// Connects to the maintenance database, where CREATE/DROP DATABASE run.
    let admin: DatabaseConfig
    /// How other tools reach a database on this server.
    private let publicURL: @Sendable (String) -> String
    /// `psql`, for housekeeping that outlives the test process (see ``Housekeeping``); nil when absent.
    let psql: String?
    /// The cluster's data directory when it is on this machine (the embedded server), for its free space.
    var dataDirectory: String?
    /// Where the password of ``url(database:)`` comes from when it is left out of printed URLs.
    var passwordSource = "TEST_DATABASE_URL"

    /// Resolves the server once per process.
    static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger
    ) async throws -> TestServer {
        if let url = environment["TEST_DATABASE_URL"], !url.isEmpty {
            let admin: DatabaseConfig
            do {
                admin = try DatabaseConfig(url: url)
            } catch let error as PostgresError {
                throw IsolatedDatabaseError(
                    code: .invalidConfiguration, message: "TEST_DATABASE_URL: \(error.message)")
            }
            return TestServer(
                admin: admin, publicURL: { replacingDatabase(in: url, with: $0) }, psql: findPSQL(near: nil),
                dataDirectory: nil)
        }
        let server = try await EmbeddedServer.shared(logger: logger)
        let admin = try DatabaseConfig(url: server.socketURL)
        return TestServer(
            admin: admin, publicURL: { server.url(database: $0) },
            psql: findPSQL(near: server.cluster.binaries.directory), dataDirectory: server.cluster.dataDirectory,
            passwordSource: "the embedded server's settings")
    }

    /// The configuration of a database on this server.
    func config(database name: String) -> DatabaseConfig {
        var config = admin
        config.database = name
        return config
    }

    /// A URL for the database that other tools (psql, other drivers) accept.
    func url(database name: String) -> String { publicURL(name) }

    /// ``url(database:)`` without its password, for what is printed or attached (CI
    /// uploads attachments), and a note saying where the password comes from instead.
    func printableURL(database name: String) -> (url: String, note: String?) {
        let (url, hadPassword) = removingPassword(from: publicURL(name))
        return (url, hadPassword ? "password from \(passwordSource)" : nil)
    }
}

/// `url` with its password removed (a URL's user info, a conninfo's `password=`), and whether it had one.
func removingPassword(from url: String) -> (String, Bool) {
    if url.contains("://"), var components = URLComponents(string: url) {
        var had = components.password != nil
        components.password = nil
        if var items = components.queryItems, items.contains(where: { $0.name == "password" }) {
            items.removeAll { $0.name == "password" }
            components.queryItems = items.isEmpty ? nil : items
            had = true
        }
        return (components.string ?? url, had)
    }
    // conninfo: key = value pairs, values optionally single-quoted.
    let pattern = #"(^|\s)password\s*=\s*('(\\.|[^'])*'|\S*)"#
    guard let regex = try? NSRegularExpression(pattern: pattern) else { return (url, false) }
    let range = NSRange(url.startIndex..., in: url)
    guard regex.firstMatch(in: url, range: range) != nil else { return (url, false) }
    let stripped = regex.stringByReplacingMatches(in: url, range: range, withTemplate: "$1")
    return (stripped.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "  ", with: " "), true)
}

/// `psql` next to the server programs, else on `PATH`.
private func findPSQL(near directory: String?) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let candidates = (directory.map { [$0] } ?? []) + path.split(separator: ":").map(String.init)
    return candidates.map { $0 + "/psql" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// `url` pointing at database `name`: the path of a URL, or `dbname` of a conninfo string.
func replacingDatabase(in url: String, with name: String) -> String {
    guard url.contains("://"), var components = URLComponents(string: url) else {
        return url + " dbname='\(name.replacingOccurrences(of: "'", with: "\\'"))'"
    }
    components.percentEncodedPath = "/" + (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)
    var items = components.queryItems ?? []
    items.removeAll { $0.name == "dbname" }
    components.queryItems = items.isEmpty ? nil : items
    return components.string ?? url
}
