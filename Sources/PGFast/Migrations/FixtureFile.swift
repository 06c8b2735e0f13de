import Foundation

/// A test data file, `{version}_{name}_fixture.sql`, loaded after the schema it was written for.
///
/// The version is the migration whose schema the data fits; tests ask for fixtures by
/// ``name`` and get them in migration order.
///
/// ```swift
/// let users = FixtureFile(version: "20250101000000", name: "users", url: fixturesURL)
/// users.id   // "20250101000000_users"
/// ```
public struct FixtureFile: Sendable, Hashable, Identifiable {
    /// The version of the migration this data belongs with.
    public var version: String
    /// The name tests use: `users` in `20250101000000_users_fixture.sql`.
    public var name: String
    public var url: URL

    public var id: String { "\(version)_\(name)" }

    public init(version: String, name: String, url: URL) {
        self.version = version
        self.name = name
        self.url = url
    }

    /// Reads and splits the file, ready to run statement by statement (COPY data included).
    public func script() throws -> SQLScript {
        try Migration.script(at: url)
    }
}
