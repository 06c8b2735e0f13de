import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// A dump taken as a superuser (`OWNER TO postgres`, grants) loads for a role that has
/// CREATEDB and nothing more, as `pg_restore --no-owner --no-privileges` would load it.
@Suite struct DumpOwnershipTests {
    @Test func ownershipAndPrivilegeStatementsAreLeftOutAndTheRestKept() throws {
        let script = try SQLScript(
            """
            CREATE TABLE shop.accounts (id int, owner text);
            ALTER TABLE shop.accounts OWNER TO postgres;
            alter function shop.f(a integer, b text) owner to "Some Role";
            ALTER TABLE ONLY shop.accounts RENAME COLUMN owner TO holder;
            ALTER TABLE shop.accounts RENAME owner TO holder;
            GRANT SELECT ON TABLE shop.accounts TO reader;
            REVOKE ALL ON SCHEMA public FROM PUBLIC;
            ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA shop GRANT SELECT ON TABLES TO reader;
            SET SESSION AUTHORIZATION 'postgres';
            RESET SESSION AUTHORIZATION;
            SET search_path = shop;
            COMMENT ON TABLE shop.accounts IS 'ALTER TABLE x OWNER TO y';
            ALTER TABLE shop.accounts ADD COLUMN grant_id int;
            """)
        #expect(
            script.withoutOwnershipOrPrivileges().statements.map(\.text) == [
                "CREATE TABLE shop.accounts (id int, owner text)",
                "ALTER TABLE ONLY shop.accounts RENAME COLUMN owner TO holder",
                "ALTER TABLE shop.accounts RENAME owner TO holder",
                "SET search_path = shop",
                "COMMENT ON TABLE shop.accounts IS 'ALTER TABLE x OWNER TO y'",
                "ALTER TABLE shop.accounts ADD COLUMN grant_id int",
            ])
        // The sample dump loses its `OWNER TO` lines and nothing else; lines keep their numbers.
        let sample = try SQLScript(contentsOf: DumpTemplateErrorTests.sample)
        let kept = sample.withoutOwnershipOrPrivileges().statements
        #expect(kept == sample.statements.filter { !$0.text.contains(" OWNER TO ") })
        #expect(kept.count < sample.statements.count)
    }

    /// As the connected role when it is not a superuser (the CI's CREATEDB leg), else as a role
    /// made for the test: the dump's build fails verbatim, and loads without its owners and grants.
    /// (The whole path, template and clones, is `DumpTemplateTests` on that leg.)
    @Test func aDumpWithOwnersAndGrantsLoadsForARoleThatIsNotASuperuser() async throws {
        let url = try DumpTemplateErrorTests.dump { lines in
            lines += [
                "GRANT SELECT ON TABLE shop.users TO postgres;",
                "REVOKE ALL ON TABLE shop.orders FROM postgres;",
                "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA shop GRANT SELECT ON TABLES TO PUBLIC;",
            ]
        }
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let shared = try await TestEnvironment.current.shared()
        var config = shared.server.admin
        config.maxConnections = 1
        var madeRole: String?
        if shared.templateRole == nil {
            let role = "pgfast_dumper_\(UUID().uuidString.prefix(8).lowercased())"
            try await Catalog.admin.execute("CREATE ROLE \(identifier: role) LOGIN CREATEDB")
            config[parameter: "user"] = role
            madeRole = role
        }
        let role = try #require(shared.templateRole ?? madeRole)
        let options = IsolatedDatabaseOptions(template: .dump(url.path))
        let verbatim = try RecipeCache.make(options, serverVersion: shared.serverVersion)
        let asRole = try RecipeCache.make(options, serverVersion: shared.serverVersion, role: role)
        let scratch = "dump_owner_test_\(UUID().uuidString.prefix(8).lowercased())"
        try await Database.connect(config) { admin in
            try await admin.execute("CREATE DATABASE \(identifier: scratch)")
        }
        var scratchConfig = config
        scratchConfig.database = scratch
        try await Database.connect(scratchConfig) { db in
            let error = await #expect(throws: IsolatedDatabaseError.self) { try await verbatim.build(db) }
            #expect(
                (error?.underlying as? PostgresError)?.sqlState == .insufficientPrivilege,
                "\(String(describing: error))")
            try await asRole.build(db)
            #expect(try await db.value("SELECT count(*) FROM shop.users", as: Int.self) == 4)
            #expect(
                try await db.value("SELECT tableowner::text FROM pg_tables WHERE tablename = 'users'", as: String.self)
                    == role)
            let id = try await db.value(
                "INSERT INTO shop.users (email) VALUES ('new@example.com') RETURNING id", as: Int.self)
            #expect(id == 5)
        }
        try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: scratch) WITH (FORCE)")
        if let madeRole { try await Catalog.admin.execute("DROP ROLE \(identifier: madeRole)") }
    }
}
