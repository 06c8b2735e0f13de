import Foundation
import PGFast
import PGFastTesting
import Testing

/// The server the runtime tests use: `TEST_DATABASE_URL`, else the embedded one.
enum TestServer {
    static func adminConfig() async throws -> DatabaseConfig {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            return try DatabaseConfig(url: url)
        }
        return try DatabaseConfig(url: try await EmbeddedServer.shared().socketURL)
    }

    /// A client program (`pg_dump`, `psql`) of the server's own version: from the embedded
    /// server's directory when it has one, else from `PATH`.
    static func program(_ name: String) async throws -> String {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty { return name }
        let directory = try await EmbeddedServer.shared().binariesDirectory
        // The directory may hold links to the server programs only: look beside their targets too.
        let linked = URL(filePath: directory + "/postgres").resolvingSymlinksInPath().deletingLastPathComponent().path
        return [directory, linked].map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? name
    }

    /// A fresh database for one test, dropped afterwards.
    static func withDatabase<R>(
        _ body: (DatabaseConfig) async throws -> R
    ) async throws -> R {
        let admin = try await adminConfig()
        let name = "pgfast_rt_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await Connection.connect(admin)
        try await connection.execute("CREATE DATABASE \(identifier: name)")
        var config = admin
        config.database = name
        do {
            let result = try await body(config)
            try await connection.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
            await connection.close()
            return result
        } catch {
            _ = try? await connection.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
            await connection.close()
            throw error
        }
    }

    static func withDatabase<R>(
        minConnections: Int = 1, maxConnections: Int = 5,
        _ body: (Database) async throws -> R
    ) async throws -> R {
        try await withDatabase { (config: DatabaseConfig) in
            var config = config
            config.minConnections = minConnections
            config.maxConnections = maxConnections
            return try await Database.connect(config, body)
        }
    }
}
