import PGFast
import PGFastTesting
import XCTest

/// XCTest has no traits: `withIsolatedDatabase` gives a test its database, and
/// `swift test --parallel` runs such tests in several processes on one server.
final class XCTestIsolationTests: XCTestCase {
    func testEachBlockHasItsOwnDatabase() async throws {
        let first = try await withIsolatedDatabase(migrations: ["fixtures/sets/shop/migrations"]) { db in
            try await db.execute("INSERT INTO users (id, email, name) VALUES (1, 'x@example.com', 'X')")
            let count = try await db.value("SELECT count(*) FROM users", as: Int.self)
            XCTAssertEqual(count, 1)
            return db.name
        }
        let second = try await withIsolatedDatabase(migrations: ["fixtures/sets/shop/migrations"]) { db in
            let count = try await db.value("SELECT count(*) FROM users", as: Int.self)
            XCTAssertEqual(count, 0)
            return db.name
        }
        XCTAssertNotEqual(first, second)
    }

    func testFixturesByName() async throws {
        try await withIsolatedDatabase(
            migrations: ["fixtures/sets/shop/migrations"], fixtureDirectories: ["fixtures/sets/shop/fixtures"],
            fixtures: ["users"]
        ) { db in
            let count = try await db.value("SELECT count(*) FROM users", as: Int.self)
            XCTAssertEqual(count, 2)
        }
    }
}
