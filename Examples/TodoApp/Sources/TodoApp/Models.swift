import Foundation
import Hummingbird

/// A user, as stored and as sent: the coding keys are the column names, so one
/// `Decodable` type reads rows (`rows.decode(User.self)`) and writes JSON.
public struct User: Codable, Sendable, Equatable, ResponseEncodable {
    public var id: Int
    public var email: String
    public var name: String
}

/// A todo of one user.
public struct Todo: Codable, Sendable, Equatable, ResponseEncodable {
    public var id: Int
    public var userID: Int
    public var title: String
    public var completedAt: Date?

    public var isCompleted: Bool { completedAt != nil }

    enum CodingKeys: String, CodingKey {
        case id
        case userID = "user_id"
        case title
        case completedAt = "completed_at"
    }
}

/// The body of `POST /users`.
public struct NewUser: Codable, Sendable {
    public var email: String
    public var name: String

    public init(email: String, name: String) {
        self.email = email
        self.name = name
    }
}

/// The body of `POST /users/:userID/todos`.
public struct NewTodo: Codable, Sendable {
    public var title: String

    public init(title: String) {
        self.title = title
    }
}
