import Foundation
import PGFast
import PGFastTesting
import Testing

/// The baseline the benchmark compares with: no template, each test creates an
/// empty database, applies the 50 migrations and the three fixtures, then does
/// the same insert and counts. Runs only with `PGFAST_BENCH_PER_TEST_MIGRATION=1`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PGFAST_BENCH_PER_TEST_MIGRATION"] == "1"))
struct PerTestMigrationTests {
    static let migrations = Result { try MigrationSet.load(directories: [URL(fileURLWithPath: Workload.migrations)]) }

    @Test(arguments: 0..<100)
    func migrateInsertAndCount(index: Int) async throws {
        let migrations = try Self.migrations.get()
        let fixtures = try FixtureSet.load(
            names: ["t0", "t1", "t2"], directories: [URL(fileURLWithPath: Workload.fixtures)], migrations: migrations)
        let server = try await EmbeddedServer.shared()
        var admin = try DatabaseConfig(url: server.socketURL)
        admin.maxConnections = 1
        let name = "pgfast_bench_\(index)_\(UUID().uuidString.prefix(8).lowercased())"
        let adminConnection = try await Connection.connect(admin)
        try await adminConnection.execute("CREATE DATABASE \(identifier: name)")
        var config = admin
        config.database = name
        let db = try await Database.connect(config)
        do {
            _ = try await Migrator(database: db, migrations: migrations).up()
            for fixture in fixtures { try await Migrator.run(file: fixture.url, on: db) }
            try await db.execute(
                "INSERT INTO t0 (name, email) VALUES (\("Bench\(index)"), \("bench\(index)@example.com"))")
            #expect(try await db.value("SELECT count(*) FROM t0", as: Int.self) == 101)
            #expect(try await db.value("SELECT count(*) FROM t2", as: Int.self) > 0)
        } catch {
            Issue.record(error)
        }
        await db.close()
        try await adminConnection.execute("DROP DATABASE \(identifier: name) WITH (FORCE)")
        await adminConnection.close()
    }
}
