import Hummingbird
import Logging
import PGFast

/// The app on `database`: its routes, the database's lifecycle in the app's service
/// group, and the migrations applied before the server starts.
///
/// The database is a `DatabaseService`: when the app shuts down it closes the pool if
/// `database` owns it (production, `Database.connect`) and leaves it open if `database`
/// shares a pool someone else owns (a test's isolated database).
public func buildApplication(
    database: Database, configuration: ApplicationConfiguration = ApplicationConfiguration(),
    logger: Logger = Logger(label: "todo")
) -> some ApplicationProtocol {
    let router = Router()
    router.add(middleware: DatabaseErrorMiddleware())
    TodoController(store: TodoStore(database: database)).addRoutes(to: router)
    var app = Application(
        router: router, configuration: configuration, services: [DatabaseService(database)], logger: logger)
    app.beforeServerStarts {
        let applied = try await TodoMigrations.migrate(database)
        logger.info("migrations applied at startup: \(applied.count)")
    }
    return app
}
