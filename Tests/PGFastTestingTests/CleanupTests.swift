import Foundation
import PGFast
import Testing

@testable import PGFastTesting

/// Cleanup that reports and goes on: a database it cannot drop is named with the reason, the rest is dropped.
@Suite struct CleanupTests {
    /// A clone name of a run that never existed (no lock, no heartbeat): an orphan.
    private func orphanName() -> String {
        DatabaseNames.clone(owner: OwnerID.random(), sequence: 1)
    }

    private var isSuperuser: Bool {
        get async throws {
            try await Catalog.admin.value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", as: Bool.self)
        }
    }

    @Test func anotherRolesOrphanIsLeftAloneAndTheRestDropped() async throws {
        guard try await isSuperuser else { return }  // creating a role needs one; the CI's CREATEDB leg skips this
        let role = "pgfast_other_\(UUID().uuidString.prefix(8).lowercased())"
        try await Catalog.admin.execute("CREATE ROLE \(identifier: role) NOLOGIN")
        let theirs = orphanName()
        let mine = orphanName()
        // As a role that is neither a superuser nor a member of the other role.
        let me = "pgfast_me_\(UUID().uuidString.prefix(8).lowercased())"
        try await Catalog.admin.execute("CREATE ROLE \(identifier: me) LOGIN CREATEDB")
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: theirs) OWNER \(identifier: role)")
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: mine) OWNER \(identifier: me)")
        var config = try await TestEnvironment.current.shared().server.admin
        config[parameter: "user"] = me
        config.maxConnections = 1
        // Another process's sweep may hold the owner's lock for a moment: look again then.
        var report = CleanupReport()
        for _ in 0..<50 {
            report = try await Database.connect(config) { db in
                try await TestDatabases.cleanup(on: db, kept: false, templates: false, grace: .seconds(30))
            }
            if !(try await Catalog.exists(mine)) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(report.failed.allSatisfy { $0.name != theirs })
        #expect(try await Catalog.exists(mine) == false)
        // Another process's superuser sweep may have dropped it first; otherwise it is reported, not failed.
        if try await Catalog.exists(theirs) {
            let skipped = try #require(report.notMine.first { $0.name == theirs })
            #expect(skipped.reason == "owned by \(role)")
            #expect(report.summary.contains("orphan(s) of other roles alone"))
            try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: theirs)")
        }
        try await Catalog.admin.execute("DROP ROLE \(identifier: role)")
        try await Catalog.admin.execute("DROP ROLE \(identifier: me)")
    }

    /// The race of issue 11 item 8: the catalog said "dead build", a builder started since; the drop must look again.
    @Test func aBuildThatStartedAfterTheCatalogWasReadIsNotDropped() async throws {
        let lineage = "c1ea" + String(UUID().uuidString.prefix(4).lowercased())
        let build = DatabaseNames.build(lineage: lineage, key: "00000000000000aa")
        let shared = try await TestEnvironment.current.shared()
        // What the catalog said a moment ago: a build nobody works on.
        let info = TestDatabaseInfo(
            name: build, kind: .build, owner: nil, ownerAlive: nil, size: 0, age: nil, isOrphan: true, label: nil)
        // A builder has taken the build lock since, as TemplateStore does before it builds.
        let key = Int32(
            truncatingIfNeeded: TemplateStore.lockKey(DatabaseNames.template(lineage: lineage, key: "00000000000000aa"))
        )
        var builderConfig = shared.server.admin
        builderConfig.maxConnections = 1
        try await Database.connect(builderConfig) { builder in
            try await builder.withConnection { builder in
                try await builder.execute("SELECT pg_advisory_lock(\(OwnerID.buildLockClass), \(key))")
                try await builder.execute("CREATE DATABASE \(identifier: build)")
                let dropped = try await Database(pool: shared.admin).withConnection { db in
                    try await TestDatabases.drop(info, on: db, grace: .seconds(30))
                }
                #expect(dropped == false)
                #expect(try await Catalog.exists(build))
                try await builder.execute("SELECT pg_advisory_unlock(\(OwnerID.buildLockClass), \(key))")
            }
        }
        // Nobody builds any more: now it goes (here, or by another process's sweep that came first).
        _ = try await Database(pool: shared.admin).withConnection { db in
            try await TestDatabases.drop(info, on: db, grace: .seconds(30))
        }
        #expect(try await Catalog.exists(build) == false)
    }

    @Test func keptDatabasesBeyondTheCapAreDroppedOldestFirst() async throws {
        let shared = try await TestEnvironment.current.shared()
        let owner = OwnerID.random()
        var names: [String] = []
        for index in 0..<3 {
            let name = DatabaseNames.kept(owner: owner, sequence: index)
            try await Catalog.admin.execute("CREATE DATABASE \(identifier: name)")
            let label = KeptLabel(
                test: "test \(index)", source: "File.swift:\(index)",
                time: Date(timeIntervalSinceNow: Double(index - 10)),
                run: owner)
            try await Catalog.admin.execute(
                SQL(unsafeRaw: "COMMENT ON DATABASE \"\(name)\" IS \(sqlLiteral(label.comment))"))
            names.append(name)
        }
        let dropped = await Sweeper(shared: shared).capKept(
            on: try await Catalog.admin, limit: 1, matching: "pgfast_kept_\(owner.hex)_", logger: shared.logger)
        #expect(Set(dropped) == Set(names.prefix(2)))
        #expect(try await Catalog.exists(names[2]))
        #expect(try await Catalog.exists(names[0]) == false)
        try await Catalog.admin.execute("DROP DATABASE \(identifier: names[2])")
    }

    @Test func printedURLsCarryNoPassword() async throws {
        let server = try await TestServer.resolve(
            environment: ["TEST_DATABASE_URL": "postgresql://app:s3cret@db.example.com:5433/postgres?sslmode=require"],
            logger: shared.logger)
        let (url, note) = server.printableURL(database: "pgfast_kept_0000abcd_1")
        #expect(!url.contains("s3cret"))
        #expect(url.contains("app@db.example.com:5433/pgfast_kept_0000abcd_1"))
        #expect(url.contains("sslmode=require"))
        #expect(note == "password from TEST_DATABASE_URL")
        let conninfo = try await TestServer.resolve(
            environment: ["TEST_DATABASE_URL": "host=db port=5433 user=app password='s 3cret' dbname=postgres"],
            logger: shared.logger)
        let (plain, plainNote) = conninfo.printableURL(database: "x")
        #expect(!plain.contains("3cret"))
        #expect(plain.contains("user=app"))
        #expect(plainNote != nil)
        // No password, no note.
        let bare = try await TestServer.resolve(
            environment: ["TEST_DATABASE_URL": "postgresql://app@db/postgres"], logger: shared.logger)
        #expect(bare.printableURL(database: "x").note == nil)
    }

    private var shared: TestEnvironment.Shared {
        get async throws { try await TestEnvironment.current.shared() }
    }
}
