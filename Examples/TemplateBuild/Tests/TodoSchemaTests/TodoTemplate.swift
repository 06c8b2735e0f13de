import PGFastTesting
import PostgresNIO
import TodoSchema

// snippet.start template
extension TemplateSource {
    /// The app's schema, made by the app's own migrations: once per key and server.
    /// The key lists the migrations, so adding one builds a new template.
    static let todos = TemplateSource.build(
        key: "todos:" + TodoMigrations.all.map(\.name).joined(separator: ",")
    ) { template in
        let logger = Logger(label: "todo-template")
        let client = PostgresClient(configuration: try .init(url: template.url), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }  // closes the client's connections
            try await TodoMigrations.apply(client: client, logger: logger)
        }
    }
}
// snippet.end
