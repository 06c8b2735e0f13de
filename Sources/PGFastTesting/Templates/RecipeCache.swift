import Foundation
@_spi(PGFastInternal) import PGFast

/// Turns options (the template's source, fixture names) into template recipes, once per
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
            let shared = try await TestEnvironment.current.shared()
            return try Self.make(key, serverVersion: shared.serverVersion, role: shared.templateRole)
        }
        recipes[key] = task
        return try await task.value
    }

    /// `role`: the role that builds and clones, when it is not a superuser. Its templates' tables
    /// are its own, so it gets a lineage of its own: another role's clones could not write to them.
    /// Its dumps load without their `OWNER TO` and grants, which it may not run (``TemplateRecipe/dump(at:shownAs:serverVersion:withoutOwnership:)``).
    static func make(_ options: IsolatedDatabaseOptions, serverVersion: Int, role: String? = nil) throws
        -> TemplateRecipe
    {
        let environment = ProcessInfo.processInfo.environment
        let pathBase = PathBase.directory(options.projectRoot ?? ProjectRoot.find())
        let root = pathBase.root
        func resolve(_ paths: [String]) -> [URL] { paths.map(pathBase.resolve) }
        var base: TemplateRecipe
        let migrations: MigrationSet?
        switch options.template.base {
        case .dump(let path):
            base = try TemplateRecipe.dump(
                at: pathBase.resolve(path), shownAs: path, serverVersion: serverVersion, withoutOwnership: role != nil)
            migrations = nil
        case .build(let build):
            base = TemplateRecipe.build(build, serverVersion: serverVersion)
            migrations = nil
        case .discovered, .migrations:
            (base, migrations) = try migrationRecipe(
                options, pathBase: pathBase, environment: environment, serverVersion: serverVersion)
        }
        if let role {
            base = TemplateRecipe(
                lineage: TemplateRecipe.hash(["role", role, base.lineage], length: 8), key: base.key,
                parent: base.parent, summary: base.summary, build: base.build)
        }
        guard !options.fixtures.isEmpty else { return base }

        let files: [FixtureFile]
        do {
            let directories =
                options.fixtureDirectories.map(resolve)
                ?? FixtureSet.fixtureDirectories(projectRoot: root, environment: environment)
            if let migrations {
                files = try FixtureSet.load(names: options.fixtures, directories: directories, migrations: migrations)
            } else {
                // A dump or a build has no versions to check the fixtures against: file-name order.
                files = try FixtureSet.load(names: options.fixtures, directories: directories)
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

    /// The template of migration files (found, or in the options' directories), and the set for the fixtures.
    private static func migrationRecipe(
        _ options: IsolatedDatabaseOptions, pathBase: PathBase, environment: [String: String], serverVersion: Int
    ) throws -> (TemplateRecipe, MigrationSet) {
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
                _ = try await Migrator(database: database, migrations: migrations, module: options.module)
                    .upOnNewDatabase()
            })
        return (base, migrations)
    }

    static func relative(_ path: String, to root: URL) -> String {
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
