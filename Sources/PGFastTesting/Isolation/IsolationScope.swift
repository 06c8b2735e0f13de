import Foundation
@_spi(PGFastInternal) import PGFast
import Synchronization

/// The isolated databases of one running test (or `withIsolatedDatabase`
/// block): the primary one, and those `IsolatedDatabase.make()` added.
final class IsolationScope: Sendable {
    private struct State {
        var primary: IsolatedDatabase?
        var extras: [IsolatedDatabase] = []
        var failed = false
    }

    private let state = Mutex(State())
    /// What the primary database was made from: `IsolatedDatabase.make()` makes the same.
    let options: IsolatedDatabaseOptions

    init(options: IsolatedDatabaseOptions) {
        self.options = options
    }

    var primary: IsolatedDatabase? { state.withLock { $0.primary } }
    var failed: Bool { state.withLock { $0.failed } }

    func markFailed() { state.withLock { $0.failed = true } }
    func adopt(_ database: IsolatedDatabase) { state.withLock { $0.extras.append(database) } }

    /// Opens the primary database, runs `body` with it as `IsolatedDatabase.current`,
    /// then drops every database of the scope, keeping them if the body failed.
    /// `reportKept` hears about each kept database; `test` and `source` label it.
    static func run<Result>(
        _ options: IsolatedDatabaseOptions,
        test: String = "withIsolatedDatabase",
        source: String? = nil,
        reportKept: @Sendable (KeptReport) -> Void = { _ in },
        _ body: (IsolationScope, IsolatedDatabase) async throws -> Result
    ) async throws -> Result {
        let scope = IsolationScope(options: options)
        RunTimings.shared.testStarted()
        defer { RunTimings.shared.testEnded() }
        let outcome: Swift.Result<Result, any Error>
        if options.mode == .transaction {
            let lease = try await IsolatedDatabase.openShared(options)
            do {
                outcome = .success(
                    try await Database(pool: lease.pool).transaction { tx in
                        let database = IsolatedDatabase(
                            name: lease.name, url: lease.shared.server.url(database: lease.name), database: tx,
                            mode: .transaction, lease: lease)
                        scope.state.withLock { $0.primary = database }
                        let result = try await IsolatedDatabase.$scope.withValue(scope) {
                            try await body(scope, database)
                        }
                        throw RollbackSignal(result: result)
                    })
            } catch let signal as RollbackSignal<Result> {
                outcome = .success(signal.result)
            } catch {
                outcome = .failure(error)
            }
            await lease.finish(failed: false)
        } else {
            // A block inside an isolated test rides on the test's slot: waiting for a
            // second one while holding the first could deadlock a full budget.
            let database = try await IsolatedDatabase.open(options, holdingSlot: IsolatedDatabase.scope == nil)
            scope.state.withLock { $0.primary = database }
            do {
                outcome = .success(
                    try await IsolatedDatabase.$scope.withValue(scope) { try await body(scope, database) })
            } catch {
                outcome = .failure(error)
            }
        }
        if case .failure = outcome { scope.markFailed() }
        let (databases, failed) = scope.state.withLock { state in
            ((state.primary.map { [$0] } ?? []) + state.extras, state.failed)
        }
        for database in databases where !database.lease.borrowed {
            let label = KeptLabel(test: test, source: source, run: database.lease.shared.owner)
            if let kept = await database.lease.finish(failed: failed, label: label) {
                let (url, note) = database.lease.shared.server.printableURL(database: kept.name)
                reportKept(KeptReport(name: kept.name, url: url, passwordNote: note, failed: failed))
            }
        }
        return try outcome.get()
    }
}

/// A database kept at the end of a test, as it is printed and attached: the URL carries no password.
struct KeptReport: Sendable {
    let name: String
    /// The URL without its password.
    let url: String
    /// Where the password comes from instead ("password from TEST_DATABASE_URL"), when the URL had one.
    let passwordNote: String?
    let failed: Bool

    /// The URL and the note, for a printed line.
    var printedURL: String { url + (passwordNote.map { " (\($0))" } ?? "") }
}

/// Ends a transaction-mode test by rolling back, carrying the test's result out.
struct RollbackSignal<Result>: Error, @unchecked Sendable {
    // @unchecked: the result only travels from the closure to its caller, on one task.
    let result: Result
}

/// Runs `body` with an isolated database of its own, dropped afterwards (kept
/// if `body` throws). For XCTest, helpers, and several databases in one test.
///
/// ```swift
/// try await withIsolatedDatabase(fixtures: ["users"]) { db in
///     let count = try await db.value("SELECT count(*) FROM users", as: Int.self)
/// }
/// ```
///
/// Relative directories are relative to the root of the package holding the
/// calling file.
@discardableResult
public func withIsolatedDatabase<Result>(
    migrations: [String]? = nil,
    fixtureDirectories: [String]? = nil,
    fixtures: [String] = [],
    mode: IsolationMode = .clone,
    module: String = "default",
    filePath: String = #filePath,
    _ body: (IsolatedDatabase) async throws -> Result
) async throws -> Result {
    let options = IsolatedDatabaseOptions(
        migrations: migrations, fixtures: fixtureDirectories, load: fixtures, mode: mode, module: module)
    return try await withIsolatedDatabase(options, filePath: filePath, body)
}

/// ``withIsolatedDatabase(migrations:fixtureDirectories:fixtures:mode:module:filePath:_:)`` with options.
///
/// ```swift
/// let options = IsolatedDatabaseOptions(migrations: ["db/migrations"], mode: .transaction)
/// try await withIsolatedDatabase(options) { db in … }
/// ```
@discardableResult
public func withIsolatedDatabase<Result>(
    _ options: IsolatedDatabaseOptions,
    filePath: String = #filePath,
    _ body: (IsolatedDatabase) async throws -> Result
) async throws -> Result {
    var options = options
    options.projectRoot = options.projectRoot ?? ProjectRoot.containing(sourceFile: filePath)
    let report: @Sendable (KeptReport) -> Void = { kept in
        let reason = kept.failed ? "of a failed block" : "(PGFAST_KEEP_DATABASES=all)"
        FileHandle.standardError.write(
            Data("pgfast: database \(kept.name) \(reason) is kept: \(kept.printedURL)\n".utf8))
    }
    let source = URL(fileURLWithPath: filePath).lastPathComponent
    return try await IsolationScope.run(
        options, test: "withIsolatedDatabase in \(source)", source: source, reportKept: report
    ) { _, database in try await body(database) }
}

extension IsolatedDatabase {
    /// A clone of its own for a test.
    static func open(_ options: IsolatedDatabaseOptions, holdingSlot: Bool) async throws -> IsolatedDatabase {
        let environment = TestEnvironment.current
        let shared = try await environment.shared()
        let recipe = try await RecipeCache.shared.recipe(for: options)
        let factory = try await environment.factory(for: recipe)
        if holdingSlot {
            let started = ContinuousClock.now
            await shared.slots.wait()
            RunTimings.shared.recordSlotWait(ContinuousClock.now - started)
        }
        let clone: ReadyClone
        do {
            let started = ContinuousClock.now
            clone = try await factory.take()
            WaitStatistics.shared.record(ContinuousClock.now - started)
        } catch {
            if holdingSlot { shared.slots.signal() }
            throw error
        }
        let lease = CloneLease(shared: shared, clone: clone, borrowed: false, holdsSlot: holdingSlot)
        return IsolatedDatabase(
            name: clone.name, url: shared.server.url(database: clone.name), database: Database(pool: clone.pool),
            mode: .clone, lease: lease)
    }

    /// The clone that transaction-mode tests share.
    static func openShared(_ options: IsolatedDatabaseOptions) async throws -> CloneLease {
        let environment = TestEnvironment.current
        let shared = try await environment.shared()
        let recipe = try await RecipeCache.shared.recipe(for: options)
        let clone = try await environment.sharedTransactionClone(for: recipe)
        return CloneLease(shared: shared, clone: clone, borrowed: true, holdsSlot: false)
    }
}

/// How long tests waited for a ready database, for the benchmark.
final class WaitStatistics: Sendable {
    static let shared = WaitStatistics()
    private let waits = Mutex<[Duration]>([])

    func record(_ wait: Duration) { waits.withLock { $0.append(wait) } }
    var all: [Duration] { waits.withLock { $0 } }
}
