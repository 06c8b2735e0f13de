import Foundation
import Testing

@_spi(PGFastInternal) @testable import PGFast

/// Relative paths in `Migrator` resolve against a `PathBase`.
@Suite("PathBase")
struct PathBaseTests {
    /// This package's root, found from this file as `.package()` finds it.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func packageIsTheFolderWithPackageSwiftAboveTheCallingFile() {
        #expect(PathBase.package().root.path == Self.packageRoot)
        #expect(
            PathBase.package().resolve("fixtures/migrations/good").path == Self.packageRoot
                + "/fixtures/migrations/good")
    }

    @Test func workingDirectoryAndFixedDirectory() {
        #expect(PathBase.workingDirectory.root.path == FileManager.default.currentDirectoryPath)
        #expect(PathBase.directory("/srv/app").resolve("db/migrations").path == "/srv/app/db/migrations")
        #expect(PathBase.package().resolve("/abs/migrations").path == "/abs/migrations")
    }

    @Test func sourceFileNotOnDiskFallsBackToTheWorkingDirectorysPackage() {
        let base = PathBase.package(containing: "/nonexistent/Sources/App/main.swift")
        #expect(base.root.path == ProjectRoot.find())
    }

    @Test func migratorResolvesRelativeDirectoriesAgainstItsBase() async throws {
        // A pool that never connects: reading the files needs no server.
        var config = try DatabaseConfig(url: "postgresql://nobody@127.0.0.1:1/none")
        config.minConnections = 0
        let pool = try await ConnectionPool(config)  // holds no connection; closed below
        let db = Database(pool: pool)
        let relative = "fixtures/migrations/good"
        let elsewhere = try TestFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }

        let fromPackage = try Migrator(database: db, directories: [relative], relativeTo: .package()).migrations()
        #expect(fromPackage.migrations.count == 6)
        #expect(fromPackage.directories.map(\.path) == [Self.packageRoot + "/" + relative])
        // The same relative path from another base names a folder that is not there.
        let error = #expect(throws: MigrationError.self) {
            try Migrator(database: db, directories: [relative], relativeTo: .directory(elsewhere.path)).migrations()
        }
        #expect(error?.description.contains(elsewhere.path) == true)
        // The default base is the working directory (where `swift test` runs: this package).
        let fromWorkingDirectory = try? Migrator(database: db, directories: [relative]).migrations()
        #expect(
            fromWorkingDirectory?.directories.map(\.path)
                == (FileManager.default.fileExists(atPath: relative)
                    ? [FileManager.default.currentDirectoryPath + "/" + relative] : nil))
        await pool.close()
    }
}
