import Foundation
import Hummingbird
import Logging
import PGFast
import TodoApp

// DATABASE_URL (or libpq's PG* variables) names the database; HOST and PORT the listener.
let environment = ProcessInfo.processInfo.environment
let logger = Logger(label: "todo")
let database = try await Database.connect(try DatabaseConfig.fromEnvironment(), logger: logger)
let app = buildApplication(
    database: database,
    configuration: ApplicationConfiguration(
        address: .hostname(environment["HOST"] ?? "127.0.0.1", port: Int(environment["PORT"] ?? "") ?? 8080)),
    logger: logger)
// One service group: the HTTP server and the database's pool, which closes after the
// server has stopped on SIGTERM / SIGINT.
try await app.runService()
