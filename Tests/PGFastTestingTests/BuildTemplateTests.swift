import Foundation
import PGFast
import Synchronization
import Testing

@testable import PGFastTesting

/// Templates whose schema the app's own code makes, as Fluent's `autoMigrate()` or
/// hummingbird-postgres migrations would, here with PGFast on the template being built.
enum TodoSchema {
    /// How many times the code below ran in this process.
    static let runs = Atomic<Int>(0)

    static let template = TemplateSource.build(key: "pgfast-tests-todos-v1", name: "pgfast-tests-todos") { template in
        runs.add(1, ordering: .relaxed)
        #expect(template.name.hasPrefix("pgfast_build_"))
        #expect(try await template.value("SELECT current_database()::text", as: String.self) == template.name)
        try await template.database.transaction { tx in
            try await tx.execute(
                "CREATE TABLE todos (id serial PRIMARY KEY, title text NOT NULL UNIQUE, done bool NOT NULL DEFAULT false)"
            )
            try await tx.execute(
                "CREATE TABLE todo_tags (todo_id int NOT NULL REFERENCES todos (id), tag text NOT NULL)")
            try await tx.execute("INSERT INTO todos (title) VALUES ('Seeded by the build')")
        }
    }
}

@Suite(.isolatedDatabase(template: TodoSchema.template, fixtures: ["fixtures/sets/build_todos/fixtures"]))
struct BuildTemplateTests {
    static let meeting = Rendezvous(parties: 2)

    /// Eight tests at once insert the same unique title and take the same serial:
    /// on a shared database they would collide or see each other's rows.
    @Test(arguments: 0..<8)
    func eachTestWritesItsOwnCopyOfTheBuiltSchema(index: Int) async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT title FROM todos", as: String.self) == "Seeded by the build")
        let id = try await db.value(
            "INSERT INTO todos (title) VALUES ('The same title') RETURNING id", as: Int.self)
        #expect(id == 2)
        try await db.execute("INSERT INTO todo_tags (todo_id, tag) VALUES (\(id), \("test-\(index)"))")
        _ = await Self.meeting.arrive()
        #expect(try await db.value("SELECT count(*) FROM todos", as: Int.self) == 2)
        #expect(try await db.value("SELECT string_agg(tag, ',') FROM todo_tags", as: String.self) == "test-\(index)")
        // The build ran once for all of them (once per server: maybe in an earlier run, then not at all).
        #expect(TodoSchema.runs.load(ordering: .relaxed) <= 1)
    }

    /// Fixtures on a build have no migration versions to match: they load in file-name
    /// order (`001_todos` before `002_tags`), whatever order they are named in.
    @Test(.fixtures("tags", "todos"))
    func fixturesLoadOnTopOfTheBuildInFileNameOrder() async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM todos", as: Int.self) == 3)
        #expect(
            try await db.value(
                "SELECT t.title FROM todos t JOIN todo_tags g ON g.todo_id = t.id WHERE g.tag = 'writing'",
                as: String.self) == "Write the article")
    }

    @Test(.fixtures("todos"))
    func onlyTheNamedFixturesLoad() async throws {
        let db = try IsolatedDatabase.current
        #expect(try await db.value("SELECT count(*) FROM todos", as: Int.self) == 3)
        #expect(try await db.value("SELECT count(*) FROM todo_tags", as: Int.self) == 0)
    }

    /// A test's own `.isolatedDatabase(.transaction)` keeps the suite's build.
    @Test(.isolatedDatabase(.transaction))
    func aTestsOwnModeKeepsTheSuitesBuild() async throws {
        let db = try IsolatedDatabase.current
        #expect(db.mode == .transaction)
        try await db.execute("DELETE FROM todos")
        #expect(try await db.value("SELECT count(*) FROM todos", as: Int.self) == 0)
    }

    @Test func anotherDatabaseOfTheSameTemplate() async throws {
        let other = try await IsolatedDatabase.make(template: TodoSchema.template)
        try await other.execute("DELETE FROM todos")
        #expect(try await other.value("SELECT count(*) FROM todos", as: Int.self) == 0)
        #expect(try await IsolatedDatabase.current.value("SELECT count(*) FROM todos", as: Int.self) == 1)
    }
}

/// A `.build` template whose code counts its runs in a file, so that runs in
/// other processes count too.
enum CountedBuild {
    static let name = "pgfast-tests-counted"

    static func template(key: String, runs: String) -> TemplateSource {
        .build(key: key, name: name) { template in
            append("\(key) \(getpid())", to: runs)
            // Long enough for every process that asks at once to be waiting on the build lock.
            try await Task.sleep(for: .milliseconds(500))
            try await template.execute("CREATE TABLE built (key text NOT NULL)")
            try await template.execute("INSERT INTO built VALUES (\(key))")
        }
    }

    /// What a child process builds: the key and the runs file the parent gave it.
    static var fromEnvironment: TemplateSource {
        let environment = ProcessInfo.processInfo.environment
        return template(
            key: environment["PGFAST_BUILD_KEY"] ?? "unset", runs: environment["PGFAST_BUILD_RUNS"] ?? "/dev/null")
    }

    static func runs(in file: URL) -> [String] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Appends a line with `O_APPEND`: lines from several processes never mix.
    private static func append(_ line: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }
}

extension ChildProcessScenarios {
    /// Six tests of a child process ask for the counted template at once.
    @Test(.isolatedDatabase(template: CountedBuild.fromEnvironment), arguments: 0..<6)
    func buildsTheCountedTemplate(index: Int) async throws {
        let db = try IsolatedDatabase.current
        let key = ProcessInfo.processInfo.environment["PGFAST_BUILD_KEY"] ?? "unset"
        #expect(try await db.value("SELECT key FROM built", as: String.self) == key)
        try await db.execute("INSERT INTO built VALUES (\("test \(index)"))")
        #expect(try await db.value("SELECT count(*) FROM built", as: Int.self) == 2)
        reportToParent(db.name)
    }
}

@Suite(.serialized) struct BuildTemplateRunTests {
    /// Two child processes (six tests each) and four stores of this process (as four more
    /// processes would) ask for one key at once: its code runs once. A new key runs it again
    /// and supersedes the old key's template.
    @Test func theCodeRunsOncePerKeyHoweverManyTestsAndProcessesAsk() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-build-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let runs = directory.appendingPathComponent("runs")
        let first = "counted-\(UUID().uuidString)"
        let firstRecipe = try await TemplateRecipe.of(CountedBuild.template(key: first, runs: runs.path))

        // No stock for the next run: a clone being made from the old template would keep it from being dropped.
        let environment = ["PGFAST_BUILD_KEY": first, "PGFAST_BUILD_RUNS": runs.path, "PGFAST_STOCK": "0"]
        let children =
            ChildProcess.isSupported
            ? try (0..<2).map { _ in
                try ChildProcess(scenario: "buildsTheCountedTemplate", environment: environment)
            } : []
        for child in children { try child.start() }
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask { try await TemplateStore.asNewProcess().template(for: firstRecipe) }
            }
            for try await name in group { #expect(name == firstRecipe.name) }
        }
        for child in children {
            let (status, log) = await child.wait()
            #expect(status == 0, "child process log:\n\(log)")
            #expect(child.lines.count == 6)
        }
        #expect(CountedBuild.runs(in: runs).count == 1)
        #expect(CountedBuild.runs(in: runs).allSatisfy { $0.hasPrefix(first + " ") })
        #expect(try await Catalog.isSealed(firstRecipe.name))

        // A later run with the same key: nothing runs.
        let later = try await TemplateStore.asNewProcess()
        #expect(try await later.template(for: firstRecipe) == firstRecipe.name)
        #expect(await later.builds.isEmpty)
        #expect(CountedBuild.runs(in: runs).count == 1)

        // The key changes: the code runs again; the old key's template stays, as the last
        // few of a lineage do (switching branches back does not rebuild).
        let second = "counted-\(UUID().uuidString)"
        let secondRecipe = try await TemplateRecipe.of(CountedBuild.template(key: second, runs: runs.path))
        #expect(secondRecipe.lineage == firstRecipe.lineage)
        let next = try await TemplateStore.asNewProcess()
        #expect(try await next.template(for: secondRecipe) == secondRecipe.name)
        #expect(CountedBuild.runs(in: runs).count == 2)
        #expect(CountedBuild.runs(in: runs).last?.hasPrefix(second + " ") == true)
        #expect(try await Catalog.exists(firstRecipe.name))
        try await withIsolatedDatabase(template: CountedBuild.template(key: second, runs: runs.path)) { db in
            let built = try await db.value("SELECT key FROM built", as: String.self)
            #expect(built == second)
        }
        #expect(CountedBuild.runs(in: runs).count == 2)
        try await Catalog.dropTemplate(firstRecipe.name)
        try await Catalog.dropTemplate(secondRecipe.name)
    }

    struct BuildFailure: Error, CustomStringConvertible {
        var description: String { "the migration 'add_due_dates' failed" }
    }

    /// Code that throws: a clear error naming the key, nothing left on the server, and the
    /// other tests of the run get the same error without running the code again.
    @Test func failingCodeNamesTheKeyAndLeavesNothing() async throws {
        let key = "failing-\(UUID().uuidString)"
        let runs = Shelf(0)
        let source = TemplateSource.build(key: key, name: "pgfast-tests-failing") { template in
            runs.update { $0 += 1 }
            try await template.execute("CREATE TABLE half_built (id int)")
            throw BuildFailure()
        }
        for _ in 0..<2 {
            let error = await #expect(throws: IsolatedDatabaseError.self) {
                try await withIsolatedDatabase(template: source) { _ in }
            }
            #expect(error?.code == .templateBuildFailed)
            #expect(error?.message.contains("build(key: \"\(key)\")") == true)
            #expect(error?.underlying is BuildFailure)
            #expect(String(describing: error!).contains("the migration 'add_due_dates' failed"))
        }
        #expect(runs.value == 1)
        let recipe = try await TemplateRecipe.of(source)
        #expect(try await Catalog.exists(recipe.buildName) == false)
        #expect(try await Catalog.databases(startingWith: "pgfast_tpl_\(recipe.lineage)_").isEmpty)
    }

    /// Code that leaves its own client connected to the template: the template is still
    /// sealed and cloned (a connected template can be neither renamed nor cloned).
    @Test func connectionsTheCodeLeavesOpenAreClosedBeforeSealing() async throws {
        let leaked = Shelf<Database?>(nil)
        let source = TemplateSource.build(key: "leaky-\(UUID().uuidString)", name: "pgfast-tests-leaky") { template in
            var config = template.config
            config.minConnections = 1
            config.maxConnections = 1
            let client = try await Database.connect(config)
            try await client.execute("CREATE TABLE made_by_another_client (id int)")
            leaked.update { $0 = client }
        }
        try await withIsolatedDatabase(template: source) { db in
            let rows = try await db.value("SELECT count(*) FROM made_by_another_client", as: Int.self)
            #expect(rows == 0)
        }
        #expect(try await Catalog.isSealed(TemplateRecipe.of(source).name))
        await leaked.value?.close()
    }

    @Test func migrationDirectoriesAreTheMigrationsSource() {
        let options = IsolatedDatabaseOptions(migrations: ["db/migrations"])
        #expect(options.template == .migrations(["db/migrations"]))
        #expect(IsolatedDatabaseOptions(template: .migrations(["db/migrations"])) == options)
        #expect(IsolatedDatabaseOptions().template == .discovered)
        #expect(IsolatedDatabaseOptions(template: .dump("db/structure.sql")).migrations == nil)
    }
}

/// A value that escaping, concurrent closures can share.
final class Shelf<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value { mutex.withLock { $0 } }
    func update(_ change: (inout Value) -> Void) { mutex.withLock { change(&$0) } }
}
