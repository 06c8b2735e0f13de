import Hummingbird
import PGFast

/// `POST /users`, `POST /users/:userID/todos`, `GET /users/:userID/todos`,
/// `POST /todos/:todoID/complete`.
struct TodoController: Sendable {
    let store: TodoStore

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("users") { request, context in
            let input = try await request.decode(as: NewUser.self, context: context)
            return EditedResponse(status: .created, response: try await store.createUser(input))
        }
        router.post("users/:userID/todos") { request, context in
            let userID = try context.parameters.require("userID", as: Int.self)
            let input = try await request.decode(as: NewTodo.self, context: context)
            return EditedResponse(status: .created, response: try await store.createTodo(input, userID: userID))
        }
        router.get("users/:userID/todos") { _, context in
            let userID = try context.parameters.require("userID", as: Int.self)
            guard let todos = try await store.todos(userID: userID) else {
                throw HTTPError(.notFound, message: "no such user")
            }
            return todos
        }
        router.post("todos/:todoID/complete") { _, context in
            let todoID = try context.parameters.require("todoID", as: Int.self)
            guard let todo = try await store.complete(todoID: todoID) else {
                throw HTTPError(.notFound, message: "no such todo")
            }
            return todo
        }
    }
}
