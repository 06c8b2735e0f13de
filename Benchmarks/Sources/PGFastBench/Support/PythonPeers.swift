import Foundation

/// The Python peers of `PGFastBench clones` (issue 10): pgfast 0.8.0 and pgdbm 0.5.0,
/// each running the same workload (N tests, each on its own database holding the 50
/// migrations and the three fixture files, one insert and two counts) as a pytest
/// suite, against the same server in the same run.
///
/// The benchmark makes its own virtualenv (`python3 -m venv`) and installs
/// `pgfast==0.8.0` (with `--ignore-requires-python`: it declares Python ≥ 3.14),
/// `asyncpg`, `pytest`, `pytest-asyncio` and `pgdbm==0.5.0` with pip. Each suite is
/// written the way its library's documentation says:
/// - pgfast: its pytest plugin's `isolated_db` fixture (a pool on a clone of a template
///   built once per session from the migrations) and `fixture_loader` for the three
///   fixtures; the server from `TEST_DATABASE_URL`, the directories from
///   `PGFAST_MIGRATIONS_DIRS` / `PGFAST_FIXTURES_DIRS` (read by a `db_config` override,
///   as pgfast's CLI reads them: its plugin's own `db_config` only discovers `**/migrations`).
/// - pgdbm: its `test_db` fixture (`pgdbm.fixtures.conftest`: an empty database per
///   test, `TEST_DB_HOST`/`TEST_DB_PORT`/`TEST_DB_USER`), then `AsyncMigrationManager`
///   on the up-migrations (pgdbm has no templates) and the three fixture files.
struct PythonPeers {
    let venv: URL
    let workDirectory: URL

    enum Peer: String, CaseIterable {
        case pgfast, pgdbm

        var title: String {
            switch self {
            case .pgfast: "Python pgfast 0.8.0 (`isolated_db` + `fixture_loader`)"
            case .pgdbm: "Python pgdbm 0.5.0 (`test_db` + migrations per test)"
            }
        }
    }

    /// Creates the virtualenv if needed and checks that both libraries import.
    /// Returns, per peer, nil when usable or the reason it is not.
    func prepare() throws -> [Peer: String?] {
        let python = venv.appendingPathComponent("bin/python").path
        if !FileManager.default.fileExists(atPath: python) {
            print("creating the Python virtualenv \(venv.path)…")
            let made = try Shell.run(["python3", "-m", "venv", venv.path])
            guard made.status == 0 else { throw BenchError("python3 -m venv failed:\n\(made.output)") }
        }
        let pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        let installs = [
            pip + ["--ignore-requires-python", "pgfast==0.8.0", "asyncpg", "pytest", "pytest-asyncio"],
            pip + ["pgdbm==0.5.0"],
        ]
        for install in installs {
            let done = try Shell.run(install)
            guard done.status == 0 else { throw BenchError("pip install failed:\n\(done.output)") }
        }
        var usable: [Peer: String?] = [:]
        let version = try Shell.run([python, "--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        for (peer, module) in [(Peer.pgfast, "pgfast.pytest"), (.pgdbm, "pgdbm.fixtures.conftest")] {
            let check = try Shell.run([python, "-c", "import \(module)"])
            usable[peer] = check.status == 0 ? nil : "\(module) does not import on \(version):\n\(check.output)"
        }
        return usable
    }

    /// Writes both suites for `tests` tests on the workload directory.
    func writeSuites(workload: String, tests: Int) throws {
        let fm = FileManager.default
        try? fm.removeItem(at: workDirectory)
        let ini = """
            [pytest]
            asyncio_mode = auto
            asyncio_default_fixture_loop_scope = session
            asyncio_default_test_loop_scope = session
            addopts = -q -p no:cacheprovider

            """
        // pgfast: the plugin's fixtures, db_config reading the directories from the environment.
        let pgfast = workDirectory.appendingPathComponent("pgfast_suite")
        try fm.createDirectory(at: pgfast, withIntermediateDirectories: true)
        try ini.write(to: pgfast.appendingPathComponent("pytest.ini"), atomically: true, encoding: .utf8)
        try """
        import os
        import pytest
        from pgfast.config import DatabaseConfig
        from pgfast.pytest import *  # noqa: F401,F403  (isolated_db, template_db, fixture_loader, …)


        def _dirs(name):
            return [d for d in os.environ.get(name, "").split(":") if d] or None


        @pytest.fixture(scope="session")
        def db_config():
            return DatabaseConfig(
                url=os.environ["TEST_DATABASE_URL"], min_connections=2, max_connections=5,
                migrations_dirs=_dirs("PGFAST_MIGRATIONS_DIRS"), fixtures_dirs=_dirs("PGFAST_FIXTURES_DIRS"))

        """.write(to: pgfast.appendingPathComponent("conftest.py"), atomically: true, encoding: .utf8)
        try """
        import pytest


        @pytest.mark.parametrize("index", range(\(tests)))
        async def test_insert_and_count(isolated_db, fixture_loader, index):
            await fixture_loader(["t0", "t1", "t2"])
            async with isolated_db.acquire() as c:
                await c.execute("INSERT INTO t0 (name, email) VALUES ($1, $2)", f"Bench{index}", f"bench{index}@example.com")
                assert await c.fetchval("SELECT count(*) FROM t0") == 101
                assert await c.fetchval("SELECT count(*) FROM t2") > 0

        """.write(to: pgfast.appendingPathComponent("test_workload.py"), atomically: true, encoding: .utf8)

        // pgdbm: its test_db fixture; migrations applied by its AsyncMigrationManager (up files only).
        let pgdbm = workDirectory.appendingPathComponent("pgdbm_suite")
        let ups = pgdbm.appendingPathComponent("migrations")
        try fm.createDirectory(at: ups, withIntermediateDirectories: true)
        for file in try fm.contentsOfDirectory(atPath: workload + "/migrations") where file.hasSuffix("_up.sql") {
            try fm.copyItem(atPath: workload + "/migrations/" + file, toPath: ups.appendingPathComponent(file).path)
        }
        try ini.write(to: pgdbm.appendingPathComponent("pytest.ini"), atomically: true, encoding: .utf8)
        try """
        from pgdbm.fixtures.conftest import *  # noqa: F401,F403  (test_db, test_db_factory, …)

        """.write(to: pgdbm.appendingPathComponent("conftest.py"), atomically: true, encoding: .utf8)
        let fixtures = try fm.contentsOfDirectory(atPath: workload + "/fixtures").filter { $0.hasSuffix(".sql") }
            .sorted()
            .map { "\"\(workload)/fixtures/\($0)\"" }.joined(separator: ", ")
        try """
        import os
        import pytest
        from pathlib import Path
        from pgdbm.migrations import AsyncMigrationManager

        MIGRATIONS = str(Path(__file__).parent / "migrations")
        FIXTURES = [Path(p).read_text() for p in [\(fixtures)]]


        @pytest.mark.parametrize("index", range(\(tests)))
        async def test_insert_and_count(test_db, index):
            await AsyncMigrationManager(test_db, migrations_path=MIGRATIONS).apply_pending_migrations()
            for sql in FIXTURES:
                await test_db.execute(sql)
            await test_db.execute("INSERT INTO t0 (name, email) VALUES ($1, $2)", f"Bench{index}", f"bench{index}@example.com")
            assert await test_db.fetch_value("SELECT count(*) FROM t0") == 101
            assert await test_db.fetch_value("SELECT count(*) FROM t2") > 0

        """.write(to: pgdbm.appendingPathComponent("test_workload.py"), atomically: true, encoding: .utf8)
    }

    /// Runs one suite with pytest; returns the wall time of the whole `pytest` process.
    func run(_ peer: Peer, host: String, port: Int, workload: String) throws -> Double {
        let suite = workDirectory.appendingPathComponent("\(peer.rawValue)_suite")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["TEST_DATABASE_URL"] = "postgresql://postgres@\(host):\(port)/postgres"
        environment["PGFAST_MIGRATIONS_DIRS"] = workload + "/migrations"
        environment["PGFAST_FIXTURES_DIRS"] = workload + "/fixtures"
        environment["TEST_DB_HOST"] = host
        environment["TEST_DB_PORT"] = String(port)
        environment["TEST_DB_USER"] = "postgres"
        let started = ContinuousClock.now
        let done = try Shell.run(
            [venv.appendingPathComponent("bin/python").path, "-m", "pytest", suite.path], environment: environment,
            directory: suite.path)
        let elapsed = ContinuousClock.now - started
        guard done.status == 0 else {
            throw BenchError("\(peer.rawValue) suite failed (\(done.status)):\n\(done.output)")
        }
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Runs a command, output captured.
enum Shell {
    static func run(_ arguments: [String], environment: [String: String]? = nil, directory: String? = nil) throws
        -> (status: Int32, output: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-shell-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output)
        return (process.terminationStatus, text)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Shell {
    /// The trimmed output of a shell command line (for the machine's description).
    static func line(_ command: String) -> String {
        ((try? run(["sh", "-c", command]))?.output ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
