import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// The clone strategy across processes: the first run on a template measures and
/// records it, the next reads it, `PGFAST_CLONE_STRATEGY` overrides it.
@Suite(.enabled(if: ChildProcess.isSupported), .serialized)
struct CloneStrategyProcessTests {
    /// Runs the `strategy` scenario; returns its statistics' entry for `template`.
    private func run(template: String, strategy: String) async throws -> [String: Any]? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pgfast-stats-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await ChildProcess.run(
            "strategy", environment: ["PGFAST_STATISTICS_FILE": file.path, "PGFAST_CLONE_STRATEGY": strategy])
        #expect(run.status == 0, "\(run.log)")
        #expect(run.lines.count == 8)
        let statistics = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] ?? [:]
        let choices = statistics["clone_strategy_choices"] as? [[String: Any]] ?? []
        return choices.first { $0["template"] as? String == template }
    }

    @Test func aMeasuredStrategyIsRecordedOnTheTemplateAndTheNextProcessReusesIt() async throws {
        let shared = try await TestEnvironment.current.shared()
        guard shared.serverVersion >= 150_000 else { return }  // no STRATEGY before 15
        let recipe = try RecipeCache.make(
            IsolatedDatabaseOptions(
                migrations: Shop.migrations, fixtures: Shop.fixtures, load: ["users", "products"],
                projectRoot: ProjectRoot.find(), module: "strategy"),
            serverVersion: shared.serverVersion, role: shared.templateRole)
        // As on a fresh server: no recorded choice, no stock to claim (claims measure nothing).
        if try await Catalog.exists(recipe.name) {
            try await Catalog.admin.execute("COMMENT ON DATABASE \(identifier: recipe.name) IS NULL")
        }
        for stock in try await Catalog.databases(
            startingWith: DatabaseNames.readyPrefix(lineage: recipe.lineage, key: recipe.key))
        {
            try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: stock) WITH (FORCE)")
        }

        let first = try #require(try await run(template: recipe.name, strategy: "auto"))
        #expect(first["source"] as? String == "measured", "\(first)")
        let chosen = try #require(first["strategy"] as? String)
        let comment = try await TemplateNote.read(template: recipe.name, on: Catalog.admin)
        #expect(TemplateNote.strategy(in: comment)?.strategy.description == chosen, "\(comment ?? "no comment")")

        let second = try #require(try await run(template: recipe.name, strategy: "auto"))
        #expect(second["source"] as? String == "recorded", "\(second)")
        #expect(second["strategy"] as? String == chosen, "first: \(first), second: \(second)")
        #expect(second["samples"] as? String == "file_copy:/wal_log:", "nothing measured again")

        // The override wins for its run and leaves the record as it was.
        let other = chosen == "WAL_LOG" ? "file_copy" : "wal_log"
        let third = try #require(try await run(template: recipe.name, strategy: other))
        #expect(third["source"] as? String == "override", "\(third)")
        #expect((third["strategy"] as? String)?.lowercased() == other)
        #expect(try await TemplateNote.read(template: recipe.name, on: Catalog.admin) == comment)
    }
}
