import Foundation
import PGFast
import PGFastTesting
import Testing

@Suite("pgfast server and test-db")
struct ServerAndTestDBCommandTests {
    @Test func serverStatusAndURL() async throws {
        let server = try await EmbeddedServer.shared()
        let status = try await CLI.run(["server", "status"])
        #expect(status.status == 0, "\(status)")
        let lines = status.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("status   version  url") == true)
        #expect(lines.last?.hasPrefix("running  \(server.serverVersion)") == true)
        #expect(status.stdout.contains(server.url))
        #expect(!status.stdout.hasEscapeCodes)

        let url = try await CLI.run(["server", "url"])
        #expect(url.stdout == server.url + "\n")
        let socket = try await CLI.run(["server", "url", "--socket", "--database", "app"])
        #expect(socket.stdout == server.socketURL(database: "app") + "\n")

        // The printed URL works for another client.
        let value = try await Database.connect(try DatabaseConfig(url: url.stdout.trimmingCharacters(in: .newlines)))
        #expect(try await value.value("SELECT 1", as: Int.self) == 1)
        await value.close()
    }

    @Test func testDBCreatePrintsTheURLOfAMigratedDatabaseWithFixtures() async throws {
        let result = try await CLI.run(
            [
                "test-db", "create", "--migrations", CLI.fixture("sets/shop/migrations"), "--fixtures-dir",
                CLI.fixture("sets/shop/fixtures"), "--fixture", "users",
            ])
        #expect(result.status == 0, "\(result)")
        let url = result.stdout.trimmingCharacters(in: .newlines)
        #expect(url.hasPrefix("postgresql://"))
        let name = try #require(url.split(separator: "/").last.map(String.init))
        let db = try await Database.connect(try DatabaseConfig(url: url))
        #expect(try await db.value("SELECT count(*) FROM users", as: Int.self) > 0)
        #expect(try await db.value("SELECT count(*) FROM products", as: Int.self) == 0)  // not asked for
        await db.close()
        // Kept until `cleanup --kept`; this test drops it itself to leave nothing behind.
        let admin = try await Database.connect(try await CLIDatabase.adminConfig())
        try await admin.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
        await admin.close()
    }

    @Test func testDBListKeptShowsWhereAKeptDatabaseCameFrom() async throws {
        let created = try await CLI.run(
            ["test-db", "create", "--migrations", CLI.fixture("sets/shop/migrations")])
        #expect(created.status == 0, "\(created)")
        let name = try #require(
            created.stdout.trimmingCharacters(in: .newlines).split(separator: "/").last?.split(separator: "?").first
                .map(String.init))
        let list = try await CLI.run(["test-db", "list", "--kept"])
        #expect(list.status == 0, "\(list)")
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.first?.contains("test") == true)
        let line = try #require(lines.first { $0.hasPrefix(name) })
        #expect(line.contains("created by TestDatabases.create"), "\(line)")
        // Only kept databases.
        for row in lines.dropFirst() { #expect(row.hasPrefix("pgfast_kept_"), "\(row)") }
        let admin = try await Database.connect(try await CLIDatabase.adminConfig())
        try await admin.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
        await admin.close()
    }

    /// `server start` and `server stop` say what they did on stdout and nothing else
    /// (the stop used to log "Stopped PostgreSQL" at info whatever `PGFAST_LOG_LEVEL` said).
    @Test func serverStartAndStopAreQuietByDefault() async throws {
        let directory = "/dev/shm/pgfast-cli-quiet-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["PGFAST_EMBEDDED_DIR": directory]
        let start = try await CLI.run(["server", "start"], environment: environment)
        #expect(start.status == 0, "\(start)")
        #expect(start.stdout.hasPrefix("running  postgresql://"), "\(start)")
        #expect(start.stderr.isEmpty, "\(start)")
        let stop = try await CLI.run(["server", "stop"], environment: environment)
        #expect(stop.status == 0, "\(stop)")
        #expect(stop.stdout == "stopped\n", "\(stop)")
        #expect(stop.stderr.isEmpty, "\(stop)")
        let verbose = try await CLI.run(
            ["server", "stop"], environment: environment.merging(["PGFAST_LOG_LEVEL": "info"]) { $1 })
        #expect(verbose.stdout == "not running\n", "\(verbose)")
    }

    @Test func aBadLogLevelIsNamed() async throws {
        let bad = try await CLI.run(["test-db", "list"], environment: ["PGFAST_LOG_LEVEL": "chatty"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("PGFAST_LOG_LEVEL=chatty"), "\(bad)")
    }

    @Test func testDBListShowsPGFastDatabases() async throws {
        let result = try await CLI.run(["test-db", "list"])
        #expect(result.status == 0, "\(result)")
        #expect(
            result.stdout == "no PGFast databases\n"
                || result.stdout.hasPrefix("name") && result.stdout.contains("kind") && result.stdout.contains("size"))
        let bad = try await CLI.run(["test-db", "list", "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("error: "))
    }
}

/// Four `pgfast schema up` processes started at once on one database.
@Suite("pgfast schema up: concurrent processes")
struct ConcurrentProcessTests {
    @Test func fourProcessesApplyEachMigrationOnce() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Each migration fails if applied twice (CREATE TABLE) and logs itself.
        for index in 0..<10 {
            let version = String(format: "202501010000%02d", index)
            var text = index == 0 ? "CREATE TABLE runs (version text NOT NULL);\n" : "SELECT pg_sleep(0.02);\n"
            text += "CREATE TABLE t\(index) (id int);\nINSERT INTO runs VALUES ('\(version)');\n"
            try text.write(
                to: directory.appending(path: "\(version)_step\(index)_up.sql"), atomically: true, encoding: .utf8)
        }
        try await CLIDatabase.with { url, db in
            let processes = try (0..<4).map { _ in
                try CLI.start(["schema", "up", "--database-url", url, "--migrations", directory.path])
            }
            var applied: [String] = []
            for process in processes {
                let result = await process.value
                #expect(result.status == 0, "\(result)")
                applied += result.stdout.split(separator: "\n").filter { $0.hasPrefix("applied ") }.map(String.init)
            }
            #expect(applied.count == 10)
            #expect(Set(applied).count == 10)
            let runs = try await db.query("SELECT version FROM runs").decode(String.self)
            #expect(runs.count == 10)
            #expect(Set(runs).count == 10)
        }
    }
}
