import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// Templates are keyed by their migrations: reused while nothing changes,
/// rebuilt when one file changes, old ones dropped once the new one is sealed.
@Suite struct TemplateLifecycleTests {
    /// A private copy of the shop migrations, so this test can change a file.
    private func copyOfShopMigrations() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pgfast-template-\(UUID().uuidString)/migrations")
        try FileManager.default.createDirectory(
            at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: ProjectRoot.find()).appendingPathComponent(Shop.migrations[0]), to: directory)
        return directory
    }

    /// A store as a new process would have one: nothing built, nothing remembered.
    private func freshStore(forceRebuild: Bool = false) async throws -> TemplateStore {
        let shared = try await TestEnvironment.current.shared()
        return TemplateStore(
            server: shared.server, admin: shared.admin, logger: shared.logger, forceRebuild: forceRebuild)
    }

    private func recipe(migrations directory: URL) async throws -> TemplateRecipe {
        try RecipeCache.make(
            IsolatedDatabaseOptions(migrations: [directory.path]),
            serverVersion: try await TestEnvironment.current.shared().serverVersion)
    }

    private func isSealed(_ name: String) async throws -> Bool {
        try await Catalog.admin.value(
            "SELECT datistemplate AND NOT datallowconn FROM pg_database WHERE datname = \(name)", as: Bool?.self)
            == true
    }

    @Test func unchangedMigrationsReuseTheTemplateAndAChangeRebuildsIt() async throws {
        let directory = try copyOfShopMigrations()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let serverVersion = try await TestEnvironment.current.shared().serverVersion
        let options = IsolatedDatabaseOptions(migrations: [directory.path])

        // First run: built once, sealed, under its final name.
        let original = try RecipeCache.make(options, serverVersion: serverVersion)
        let firstRun = try await freshStore()
        #expect(try await firstRun.template(for: original) == original.name)
        #expect(await firstRun.builds == [original.name])
        #expect(try await isSealed(original.name))
        #expect(try await Catalog.exists(original.buildName) == false)

        // A later run with the same files reuses it: no migration applied.
        let secondRun = try await freshStore()
        #expect(
            try await secondRun.template(for: RecipeCache.make(options, serverVersion: serverVersion)) == original.name)
        #expect(await secondRun.builds.isEmpty)

        // One file changes: a new template; the old one stays (the last three of a lineage are kept).
        let users = directory.appendingPathComponent("20250101000000_create_users_up.sql")
        try (String(contentsOf: users, encoding: .utf8) + "ALTER TABLE users ADD COLUMN nickname text;\n")
            .write(to: users, atomically: true, encoding: .utf8)
        let changed = try RecipeCache.make(options, serverVersion: serverVersion)
        #expect(changed.lineage == original.lineage)
        #expect(changed.key != original.key)
        let thirdRun = try await freshStore()
        #expect(try await thirdRun.template(for: changed) == changed.name)
        #expect(await thirdRun.builds == [changed.name])
        #expect(try await isSealed(changed.name))
        #expect(try await isSealed(original.name))

        // Clones of the new template have the new column.
        let clone = "pgfast_tplcheck_\(UUID().uuidString.prefix(8).lowercased())"
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: clone) TEMPLATE \(identifier: changed.name)")
        var config = try await TestEnvironment.current.shared().server.config(database: clone)
        config.maxConnections = 1
        let db = try await Database.connect(config)
        #expect(
            try await db.value(
                "SELECT count(*) FROM information_schema.columns WHERE column_name = 'nickname'", as: Int.self) == 1)
        await db.close()
        try await Catalog.admin.execute("DROP DATABASE \(identifier: clone) WITH (FORCE)")

        // PGFAST_REBUILD_TEMPLATES: built again even though it exists, and clones left ready from the old build go.
        let stock = DatabaseNames.ready(lineage: changed.lineage, key: changed.key, id: "0000000099")
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: stock) TEMPLATE \(identifier: changed.name)")
        let forced = try await freshStore(forceRebuild: true)
        #expect(try await forced.template(for: changed) == changed.name)
        #expect(await forced.builds == [changed.name])
        #expect(try await isSealed(changed.name))
        #expect(try await Catalog.exists(stock) == false)

        try await Catalog.dropTemplate(changed.name)
        try await Catalog.dropTemplate(original.name)
    }

    /// Branch switching: back and forth between two versions of the migrations builds each
    /// once; a fourth version drops the oldest (three are kept).
    @Test func switchingBranchesBackAndForthDoesNotRebuild() async throws {
        let directory = try copyOfShopMigrations()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let serverVersion = try await TestEnvironment.current.shared().serverVersion
        let options = IsolatedDatabaseOptions(migrations: [directory.path])
        let users = directory.appendingPathComponent("20250101000000_create_users_up.sql")
        let base = try String(contentsOf: users, encoding: .utf8)
        func checkout(_ branch: Int) throws -> TemplateRecipe {
            try (base + (branch == 0 ? "" : "ALTER TABLE users ADD COLUMN branch\(branch) text;\n"))
                .write(to: users, atomically: true, encoding: .utf8)
            return try RecipeCache.make(options, serverVersion: serverVersion)
        }
        var built: [String] = []
        for branch in [0, 1, 0, 1, 0] {
            let recipe = try checkout(branch)
            let store = try await freshStore()
            #expect(try await store.template(for: recipe) == recipe.name)
            built += await store.builds
        }
        let main = try checkout(0)
        let feature = try checkout(1)
        #expect(built == [main.name, feature.name], "each branch built once")
        // Two more branches: the oldest of the four goes, three stay.
        var recipes = [main, feature]
        for branch in [2, 3] {
            let recipe = try checkout(branch)
            #expect(try await freshStore().template(for: recipe) == recipe.name)
            recipes.append(recipe)
        }
        #expect(try await Catalog.exists(main.name) == false)
        for recipe in recipes.dropFirst() {
            #expect(try await isSealed(recipe.name))
            try await Catalog.dropTemplate(recipe.name)
        }
    }

    @Test func racingBuildersBuildOnce() async throws {
        let directory = try copyOfShopMigrations()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let recipe = try await recipe(migrations: directory)
        // Four stores are four processes: each takes the build lock, one builds.
        let stores = try await (0..<4).asyncMap { _ in try await freshStore() }
        try await withThrowingTaskGroup(of: String.self) { group in
            for store in stores { group.addTask { try await store.template(for: recipe) } }
            for try await name in group { #expect(name == recipe.name) }
        }
        var builds = 0
        for store in stores { builds += await store.builds.count }
        #expect(builds == 1)
        try await Catalog.dropTemplate(recipe.name)
    }

    @Test func aBuildLeftByAKilledProcessIsNotTakenForATemplate() async throws {
        let directory = try copyOfShopMigrations()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let recipe = try await recipe(migrations: directory)
        // What a builder killed half-way leaves: the private build database, unsealed.
        try await Catalog.admin.execute("CREATE DATABASE \(identifier: recipe.buildName)")
        // Listed as an orphan build (unless another run's sweeper already dropped it, or is
        // dropping it right now, holding the build lock for that moment).
        var info: TestDatabaseInfo?
        for _ in 0..<100 {
            info = try await TestDatabases.list().first(where: { $0.name == recipe.buildName })
            if info?.isOrphan != false { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        if let info {
            #expect(info.kind == .build)
            #expect(info.isOrphan)
        }
        let store = try await freshStore()
        #expect(try await store.template(for: recipe) == recipe.name)
        #expect(await store.builds == [recipe.name])
        #expect(try await Catalog.exists(recipe.buildName) == false)
        try await Catalog.dropTemplate(recipe.name)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
