import Hummingbird
import PGFast

/// Turns the database's refusals into HTTP answers: a taken email is 409 Conflict, a todo
/// for a user that does not exist is 404 Not Found, a blank title 422. Everything else
/// stays a 500, its details in the log rather than in the response.
public struct DatabaseErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PostgresError {
            guard let httpError = Self.httpError(for: error) else { throw error }
            throw httpError
        }
    }

    /// The HTTP answer for a constraint the app relies on; nil for anything else.
    public static func httpError(for error: PostgresError) -> HTTPError? {
        switch error.sqlState {
        case .uniqueViolation?:
            HTTPError(
                .conflict,
                message: error.constraint == "users_email_key" ? "email already registered" : "already exists")
        case .foreignKeyViolation?:
            HTTPError(.notFound, message: error.constraint == "todos_user_id_fkey" ? "no such user" : "not found")
        case .checkViolation?, .notNullViolation?:
            HTTPError(.unprocessableContent, message: "invalid value")
        default:
            nil
        }
    }
}
