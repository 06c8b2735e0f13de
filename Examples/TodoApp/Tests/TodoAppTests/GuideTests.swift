import Foundation
import PGFastGuide
import PGFastTesting
import Testing
import TodoApp

/// The code the DocC articles quote, run on real databases.
@Suite(.todoDatabase)
struct GuideTests {
    @Test(.fixtures("users", "todos"))
    func runtimeTour() async throws {
        let db = try IsolatedDatabase.current.database
        let (count, titles) = try await queriesAndValues(db)
        #expect(count == 2)
        #expect(titles.count == 2 && titles[1].hasSuffix("(done)"))
        let rows = try await decodeByColumnName(db)
        #expect(rows.map(\.title) == ["Write the first program", "Read Menabrea's notes"])
        #expect(try await richValues(db) == Preferences(theme: "dark", reminders: true))
        #expect(try await createUserOnce(db, email: "new@example.com"))
        #expect(try await !createUserOnce(db, email: "new@example.com"))
        #expect(try await asTenant(db, tenant: "acme") == "acme")
        try await scriptsAndIdentifiers(db, table: "Guide Table")
        #expect(try await db.value("SELECT count(*) FROM \(identifier: "Guide Table")", as: Int.self) == 2)
        #expect(await poolReport(db.pool).hasPrefix("open "))
    }

    @Test(.fixtures("users", "todos"))
    func transactionReturnsItsValueOrRollsBack() async throws {
        let db = try IsolatedDatabase.current.database
        let ada = try await db.value("SELECT id FROM users WHERE email = 'ada@example.com'", as: Int.self)
        let grace = try await db.value("SELECT id FROM users WHERE email = 'grace@example.com'", as: Int.self)
        #expect(try await moveTodos(db, from: ada, to: grace) == 2)
        // Into a user that does not exist: the foreign key fails, nothing moves, grace is not deleted.
        await #expect(throws: PostgresError.self) { try await moveTodos(db, from: grace, to: 999) }
        #expect(try await db.value("SELECT count(*) FROM todos WHERE user_id = \(grace)", as: Int.self) == 2)
    }

    @Test func migratorTour() async throws {
        let db = try IsolatedDatabase.current.database
        let status = try await deploy(db)
        #expect(status.map(\.state) == [.applied, .applied])
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        #expect(try discovered(root: root).versions == ["20250101000000", "20250102000000"])
    }

    @Test func configAndHandles() async throws {
        let config = try makeConfig()
        #expect(config.maxConnections == 20)
        let handles = schemaScopedHandles(pool: try IsolatedDatabase.current.pool)
        #expect(handles.users.render("SELECT * FROM {{tables.users}}") == "SELECT * FROM \"users\".\"users\"")
        #expect(handles.billing.schema == "billing")
    }
}
