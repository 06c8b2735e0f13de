import Foundation
import PGFast
import PGFastTesting
import Synchronization
import Testing

/// A real project's migrations in their own tool's layout (svix's sqlx `.up.sql`/`.down.sql`
/// files, not renamed) build the template that 30 isolated tests clone.
@Suite(.isolatedDatabase(migrations: ["fixtures/realworld/svix/migrations"]))
struct RealProjectTemplateTests {
    static let seen = Mutex<Set<String>>([])

    @Test(arguments: 0..<30)
    func eachCaseGetsItsOwnCloneOfTheSvixSchema(index: Int) async throws {
        let db = try IsolatedDatabase.current
        #expect(Self.seen.withLock { $0.insert(db.name).inserted }, "database \(db.name) handed to two tests")
        // The whole set was applied once, into the template.
        #expect(try await db.value("SELECT count(*) FROM pgfast_migrations WHERE version <> ''", as: Int.self) == 13)
        try await db.execute(
            """
            INSERT INTO application (id, created_at, updated_at, org_id, name, deleted)
            VALUES (\("app_\(index)"), now(), now(), 'org_1', \("App \(index)"), false)
            """)
        try await db.execute(
            """
            INSERT INTO endpoint (id, created_at, updated_at, app_id, key, url, description, version, deleted, disabled)
            VALUES (\("ep_\(index)"), now(), now(), \("app_\(index)"), '\\x00', 'https://example.com', '', 1, false, false)
            """)
        #expect(try await db.value("SELECT count(*) FROM application", as: Int.self) == 1)
        // Columns added by later migrations are there; the foreign key of 20220125145204 holds.
        #expect(try await db.value("SELECT headers IS NULL AND retry_schedule IS NULL FROM endpoint", as: Bool.self))
        await #expect(throws: PostgresError.self) {
            try await db.execute(
                """
                INSERT INTO endpoint (id, created_at, updated_at, app_id, key, url, description, version, deleted, disabled)
                VALUES ('ep_orphan', now(), now(), 'app_missing', '\\x00', 'u', '', 1, false, false)
                """)
        }
    }
}

/// Each small layout set of `fixtures/migrations/<layout>` builds a template through the one loader.
@Suite struct OtherLayoutTemplateTests {
    @Test(arguments: ["golang_migrate", "sqlx", "dbmate", "goose", "diesel", "flyway"])
    func layoutBuildsATemplate(_ layout: String) async throws {
        try await withIsolatedDatabase(migrations: ["fixtures/migrations/\(layout)"]) { db in
            try await db.execute("INSERT INTO users (email) VALUES ('a@example.com')")
            try await db.execute("INSERT INTO posts (user_id, body) SELECT id, 'two words' FROM users")
            #expect(try await db.value("SELECT words FROM posts", as: Int.self) == 2)
            #expect(
                try await db.value(
                    "SELECT count(*) FROM pg_indexes WHERE indexname = 'posts_user_id_idx'", as: Int.self) == 1)
        }
    }
}
