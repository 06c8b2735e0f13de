import Foundation
import PGFast
import Testing

@testable import PGFastTesting

/// The clone factory on a real server: failures reach every waiting test, and the
/// clone strategy is measured once, recorded on the template and reused.
@Suite struct CloneFactoryTests {
    /// A small sealed template of this test's own (one table), as TemplateStore leaves one.
    private func sealedTemplate() async throws -> String {
        let name =
            "pgfast_tpl_cftest\(UUID().uuidString.prefix(6).lowercased())_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await Catalog.admin
        try await admin.execute("CREATE DATABASE \(identifier: name)")
        let shared = try await TestEnvironment.current.shared()
        try await Database.connect(shared.server.config(database: name)) { db in
            try await db.execute("CREATE TABLE marker (id int PRIMARY KEY)")
            try await db.execute("INSERT INTO marker VALUES (1)")
        }
        try await admin.execute("ALTER DATABASE \(identifier: name) WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
        return name
    }

    private func factory(template: String, strategy: CloneStrategy?) async throws -> CloneFactory {
        let shared = try await TestEnvironment.current.shared()
        // Lineage and key match no stock, so every clone is created from the template.
        return CloneFactory(
            template: template, lineage: "cftest", key: String(UUID().uuidString.prefix(8)), environment: shared,
            strategy: .some(strategy))
    }

    /// Every take, each bounded so a waiter that is never resumed fails the test instead of hanging it.
    private func takeAtOnce(_ count: Int, from factory: CloneFactory) async -> [Result<ReadyClone, any Error>?] {
        await withTaskGroup(of: Result<ReadyClone, any Error>?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    await withTaskGroup(of: Result<ReadyClone, any Error>?.self) { race in
                        race.addTask {
                            do { return .success(try await factory.take()) } catch { return .failure(error) }
                        }
                        race.addTask {
                            try? await Task.sleep(for: .seconds(90))
                            return nil  // never answered: the bug this suite guards against
                        }
                        let first = await race.next() ?? nil
                        race.cancelAll()
                        return first
                    }
                }
            }
            var results: [Result<ReadyClone, any Error>?] = []
            for await result in group { results.append(result) }
            return results
        }
    }

    /// Closes the factory and drops every clone it made: those handed out and those left ready.
    private func dispose(_ results: [Result<ReadyClone, any Error>?], of factory: CloneFactory) async throws {
        let (unused, _) = await factory.close()
        let clones =
            unused + results.compactMap { result in if case .success(let clone)? = result { clone } else { nil } }
        for clone in clones {
            await clone.pool.close()
            try await Catalog.admin.execute("DROP DATABASE IF EXISTS \(identifier: clone.name) WITH (FORCE)")
        }
    }

    @Test func aFailingCreateFailsEveryWaitingTestAndTheNextOneToo() async throws {
        // The template does not exist: every CREATE DATABASE … TEMPLATE fails on the server.
        let factory = try await factory(template: "pgfast_tpl_missing_\(UUID().uuidString.prefix(8))", strategy: nil)
        let results = await takeAtOnce(6, from: factory)
        #expect(results.count == 6)
        for result in results {
            switch result {
            case nil: Issue.record("a waiting test was never answered")
            case .success(let clone)?: Issue.record("a clone of a missing template: \(clone.name)")
            case .failure(let error)?:
                #expect((error as? IsolatedDatabaseError)?.code == .cloneFailed, "\(error)")
            }
        }
        // A later test tries again (and fails again), it does not wait for a prefetch that never comes.
        let later = await takeAtOnce(1, from: factory)
        if case .failure? = later.first {
        } else {
            Issue.record("a take after the failure: \(String(describing: later.first))")
        }
        try await dispose(results + later, of: factory)
    }

    @Test func aTemplateThatGoesAwayFailsTheTestsWaitingForIt() async throws {
        let template = try await sealedTemplate()
        let factory = try await factory(template: template, strategy: .fileCopy)
        let first = await takeAtOnce(1, from: factory)
        guard case .success? = first.first else {
            Issue.record("the first clone: \(String(describing: first.first))")
            return
        }
        try await dispose(first, of: factory)  // nothing ready nor under way: what follows must be created
        try await Catalog.dropTemplate(template)
        let next = try await self.factory(template: template, strategy: .fileCopy)
        let results = await takeAtOnce(5, from: next)
        #expect(results.allSatisfy { $0 != nil }, "every waiting test is answered")
        #expect(results.contains { if case .failure? = $0 { true } else { false } })
        for case .success(let clone)? in results { Issue.record("a clone of a dropped template: \(clone.name)") }
        try await dispose(results, of: next)
    }

    @Test func theStrategyIsMeasuredOnceRecordedOnTheTemplateAndReused() async throws {
        let shared = try await TestEnvironment.current.shared()
        guard shared.serverVersion >= 150_000 else { return }  // no STRATEGY before 15
        let template = try await sealedTemplate()

        // A first run measures: 3 samples of each strategy, then records the choice.
        let measuring = try await factory(template: template, strategy: nil)
        var clones: [Result<ReadyClone, any Error>?] = []
        for _ in 0..<8 { clones += await takeAtOnce(1, from: measuring) }
        try await dispose(clones, of: measuring)  // waits for the choice to be recorded
        let choice = try #require(await measuring.choice)
        #expect(choice.source == .measured)
        let strategy = try #require(choice.strategy)
        let comment = try await TemplateNote.read(template: template, on: Catalog.admin)
        #expect(TemplateNote.strategy(in: comment)?.strategy == strategy, "\(comment ?? "no comment")")
        #expect(comment?.contains("clone_samples_ms=file_copy:") == true, "\(comment ?? "no comment")")

        // A later run (a new factory, as in another process) reads it and measures nothing.
        let later = try await factory(template: template, strategy: nil)
        let again = await takeAtOnce(2, from: later)
        try await dispose(again, of: later)
        #expect(await later.choice?.source == .recorded)
        #expect(await later.choice?.strategy == strategy)
        #expect(await later.strategyReport.samples == "file_copy:/wal_log:")
        for case .failure(let error)? in clones + again { Issue.record("\(error)") }
        try await Catalog.dropTemplate(template)
    }

    @Test func aRecordedWalLogIsUsedAndAnOverrideWinsWithoutRewritingIt() async throws {
        let shared = try await TestEnvironment.current.shared()
        guard shared.serverVersion >= 150_000 else { return }
        let template = try await sealedTemplate()
        try await Catalog.admin.execute(
            "COMMENT ON DATABASE \(identifier: template) IS 'built by a test; clone_strategy=WAL_LOG; file_copy_method=copy'"
        )

        let recorded = try await factory(template: template, strategy: nil)
        let first = await takeAtOnce(1, from: recorded)
        try await dispose(first, of: recorded)
        #expect(await recorded.choice == CloneStrategyChoice(strategy: .walLog, cloneFiles: false, source: .recorded))

        let overridden = try await factory(template: template, strategy: .fileCopy)
        let second = await takeAtOnce(1, from: overridden)
        try await dispose(second, of: overridden)
        #expect(await overridden.choice?.strategy == .fileCopy)
        #expect(await overridden.choice?.source == .override)
        #expect(await overridden.stockStrategy == .fileCopy)
        let comment = try await TemplateNote.read(template: template, on: Catalog.admin)
        #expect(comment == "built by a test; clone_strategy=WAL_LOG; file_copy_method=copy")
        for case .failure(let error)? in first + second { Issue.record("\(error)") }
        try await Catalog.dropTemplate(template)
    }
}

/// The strategy rule and the comment format, without a server.
@Suite struct CloneStrategyRuleTests {
    @Test func fileCopyUnlessEveryWalLogSampleIsClearlyFaster() {
        let ms = { (values: [Int]) in values.map { Duration.milliseconds($0) } }
        #expect(CloneStrategySampler.choose(fileCopy: ms([12, 13, 11]), walLog: ms([30, 28, 31])) == .fileCopy)
        // One fast WAL_LOG sample among slow ones is noise.
        #expect(CloneStrategySampler.choose(fileCopy: ms([40, 42, 41]), walLog: ms([10, 45, 12])) == .fileCopy)
        // Faster, but not clearly.
        #expect(CloneStrategySampler.choose(fileCopy: ms([40, 42, 41]), walLog: ms([35, 36, 34])) == .fileCopy)
        #expect(CloneStrategySampler.choose(fileCopy: ms([40, 42, 41]), walLog: ms([20, 22, 25])) == .walLog)
    }

    @Test func theSamplerAlternatesTakesThreeOfEachAndThenDecides() {
        var sampler = CloneStrategySampler()
        var asked: [CloneStrategy] = []
        for _ in 0..<6 { asked.append(sampler.next()) }
        #expect(asked == [.fileCopy, .walLog, .fileCopy, .walLog, .fileCopy, .walLog])
        #expect(sampler.next() == .fileCopy)  // more while the samples are under way: the default
        // WAL_LOG clearly faster each time: only the sixth sample decides.
        let decisions = asked.enumerated().map { index, strategy in
            sampler.finished(strategy, elapsed: .milliseconds(strategy == .fileCopy ? 40 + index : 20))
        }
        #expect(decisions == [false, false, false, false, false, true])
        #expect(sampler.decision == .walLog)
        #expect(sampler.summary == "file_copy:40,42,44/wal_log:20,20,20")
    }

    @Test func aWalLogSampleThatIsNotClearlyFasterSettlesItAtOnce() {
        var sampler = CloneStrategySampler()
        let asked = (0..<4).map { _ in sampler.next() }
        #expect(asked == [.fileCopy, .walLog, .fileCopy, .walLog])
        // The first pair: WAL_LOG slower. Nothing later could make every WAL_LOG sample clearly faster.
        #expect(sampler.finished(.fileCopy, elapsed: .milliseconds(10)) == false)
        #expect(sampler.finished(.walLog, elapsed: .milliseconds(30)) == true)
        #expect(sampler.decision == .fileCopy)
        #expect(sampler.next() == .fileCopy)
        // The samples still under way come back and change nothing.
        #expect(sampler.finished(.fileCopy, elapsed: .milliseconds(1)) == false)
        #expect(sampler.finished(.walLog, elapsed: .milliseconds(1)) == false)
        #expect(sampler.decision == .fileCopy)
        #expect(sampler.summary == "file_copy:10/wal_log:30")
        // A WAL_LOG sample back first waits for a FILE_COPY one to compare with.
        var other = CloneStrategySampler()
        _ = (other.next(), other.next())
        #expect(other.finished(.walLog, elapsed: .milliseconds(30)) == false)
        #expect(other.finished(.fileCopy, elapsed: .milliseconds(35)) == true)
        #expect(other.decision == .fileCopy)
    }

    @Test func aFailedSampleIsTakenAgain() {
        var sampler = CloneStrategySampler()
        let first = sampler.next()
        #expect(sampler.finished(first, elapsed: nil) == false)
        #expect(sampler.next() == first)
    }

    @Test func theCommentKeepsWhatOthersWrote() {
        let choice = TemplateNote.Strategy(strategy: .walLog, cloneFiles: true)
        let written = TemplateNote.setting(
            choice, samples: "file_copy:9/wal_log:3", in: "source=git; clone_strategy=FILE_COPY")
        #expect(
            written
                == "source=git; clone_strategy=WAL_LOG; file_copy_method=clone; clone_samples_ms=file_copy:9/wal_log:3")
        #expect(TemplateNote.strategy(in: written) == choice)
        #expect(TemplateNote.strategy(in: nil) == nil)
        #expect(TemplateNote.strategy(in: "clone_strategy=rsync") == nil)
    }
}
