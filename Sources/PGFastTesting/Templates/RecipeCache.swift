import Foundation
@_spi(PGFastInternal) import PGFast

/// Turns options (directories, fixture names) into template recipes, once per
/// process: reading and hashing the files is done by the first test only.
actor RecipeCache {
    static let shared = RecipeCache()
    private var recipes: [IsolatedDatabaseOptions: Task<TemplateRecipe, any Error>] = [:]

    func recipe(for options: IsolatedDatabaseOptions) async throws -> TemplateRecipe {
        var key = options
        key.mode = .clone
        if let task = recipes[key] { return try await task.value }
        // Stored before any suspension: the tests that arrive meanwhile wait for this one task.
        let task = Task { () throws -> TemplateRecipe in
            let serverVersion = try await TestEnvironment.current.shared().serverVersion
            return try Self.make(key, serverVersion: serverVersion)
        }
        recipes[key] = task
        return try await task.value
    }

    static func make(_ options: IsolatedDatabaseOptions, serverVersion: Int) throws -> TemplateRecipe {
        let environment = ProcessInfo.processInfo.environment
        let pathBase = PathBase.directory(options.projectRoot ?? ProjectRoot.find())
        let root = pathBase.root
        func resolve(_ paths: [String]) -> [URL] { paths.map(pathBase.resolve) }
        let migrations: MigrationSet
        do {
            if let directories = options.migrations {
                migrations = try MigrationSet.load(directories: resolve(directories))
            } else {
                migrations = try MigrationSet.discover(projectRoot: root, environment: environment)
            }
        } catch {
            throw IsolatedDatabaseError(
                code: .templateBuildFailed, message: "cannot read the migrations", underlying: error)
        }
        let directoryList = migrations.directories.map(\.path).sorted()
        let base = TemplateRecipe(
            // The module is part of what the template holds (its history rows), so of both.
            lineage: TemplateRecipe.hash(["migrations", "module=" + options.module] + directoryList, length: 8),
            key: TemplateRecipe.hash(
                [PGFastVersion.string, String(serverVersion / 100), "module=" + options.module]
                    + migrations.migrations.flatMap { [$0.version, $0.name, $0.checksum] },
                length: 16),
            parent: nil,
            summary: "\(migrations.migrations.count) migration(s) in "
                + directoryList.map { relative($0, to: root) }.joined(separator: ", "),
            build: { database in
                _ = try await Migrator(database: database, migrations: migrations, module: options.module).up()
            })
        guard !options.fixtures.isEmpty else { return base }

        let files: [FixtureFile]
        do {
            if let directories = options.fixtureDirectories {
                files = try FixtureSet.load(
                    names: options.fixtures, directories: resolve(directories), migrations: migrations)
            } else {
                files = try FixtureSet.discover(projectRoot: root, environment: environment, migrations: migrations)
                    .fixtures(named: options.fixtures)
            }
        } catch let error as MigrationError {
            throw IsolatedDatabaseError(
                code: error.code == .unknownFixture ? .unknownFixture : .fixtureFailed, message: error.message,
                file: error.file, underlying: error)
        }
        let checksums = try files.map { file in
            Migration.checksum(up: try Data(contentsOf: file.url), down: nil)
        }
        return TemplateRecipe(
            lineage: TemplateRecipe.hash(["fixtures", base.lineage] + options.fixtures.sorted(), length: 8),
            key: TemplateRecipe.hash(
                [base.key] + zip(files, checksums).flatMap { [$0.version, $0.name, $1] }, length: 16),
            parent: TemplateRecipe.Parent(base),
            summary: "fixtures " + options.fixtures.joined(separator: ", "),
            build: { database in
                for file in files {
                    do {
                        try await Migrator.run(file: file.url, on: database)
                    } catch {
                        throw IsolatedDatabaseError(
                            code: .fixtureFailed, message: "fixture \(file.url.path) failed", file: file.url.path,
                            underlying: error)
                    }
                }
            })
    }

    private static func relative(_ path: String, to root: URL) -> String {
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
