import ArgumentParser
import Foundation
import PGFastTesting

/// `pgfast test-db create|list|cleanup`: the databases isolated tests use.
struct TestDBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-db",
        abstract: "Create, list and clean up isolated test databases.",
        subcommands: [Create.self, List.self, Cleanup.self]
    )

    struct ServerOptions: ParsableArguments {
        @Option(
            name: .customLong("database-url"),
            help: "Admin URL of the server (default: TEST_DATABASE_URL, else the embedded server).")
        var databaseURL: String?

        /// Makes the testing module use this server, as the tests would with TEST_DATABASE_URL;
        /// checks `PGFAST_LOG_LEVEL` (a bad value is an error naming it).
        func apply() throws {
            if let databaseURL { setenv("TEST_DATABASE_URL", databaseURL, 1) }
            do {
                _ = try PGFastLog.level()
            } catch let error as IsolatedDatabaseError {
                throw CommandFailure(message: error.message)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a migrated database like a test's (kept until cleanup --kept) and print its URL.")

        @OptionGroup var server: ServerOptions

        @Option(name: .customLong("migrations"), help: "A migrations directory (repeatable; default: discovery).")
        var migrations: [String] = []

        @Option(name: .customLong("fixtures-dir"), help: "A fixtures directory (repeatable; default: discovery).")
        var fixtureDirectories: [String] = []

        @Option(name: .customLong("fixture"), help: "A fixture set to load, by name (repeatable).")
        var fixtures: [String] = []

        func run() async throws {
            try server.apply()
            let options = IsolatedDatabaseOptions(
                migrations: migrations.isEmpty ? nil : migrations,
                fixtures: fixtureDirectories.isEmpty ? nil : fixtureDirectories, load: fixtures)
            let (_, url) = try await TestDatabases.create(options)
            print(url)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List PGFast's databases on the server: kind, owner, age, size, and a kept one's test.")

        @OptionGroup var server: ServerOptions

        @Flag(help: "Only failed tests' kept databases.")
        var kept = false

        func run() async throws {
            try server.apply()
            let databases = try await TestDatabases.list().filter { !kept || $0.kind == .kept }
            guard !databases.isEmpty else {
                print(kept ? "no kept databases" : "no PGFast databases")
                return
            }
            let rows = databases.map { info -> [String] in
                let owner: String
                switch (info.owner, info.ownerAlive) {
                case (let id?, true?): owner = "\(id) (live)"
                case (let id?, _): owner = "\(id) (gone)"
                default: owner = "-"
                }
                return [
                    info.name, info.kind.rawValue, owner, info.age.map(Self.format) ?? "?",
                    ByteCountFormatter.string(fromByteCount: info.size, countStyle: .file),
                    info.isOrphan ? "orphan" : "", info.label.map(\.description) ?? "",
                ]
            }
            print(
                Terminal.table(
                    ["name", "kind", "owner", "age", "size", "state", "test"], rows,
                    colors: [(5, { $0 == "orphan" ? .yellow : nil })]))
        }

        static func format(_ age: Duration) -> String {
            let seconds = Int(age.components.seconds)
            if seconds < 60 { return "\(seconds)s" }
            if seconds < 3600 { return "\(seconds / 60)m" }
            if seconds < 86400 { return "\(seconds / 3600)h\((seconds % 3600) / 60)m" }
            return "\(seconds / 86400)d"
        }
    }

    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop databases whose run is gone (never one a live run uses).",
            discussion: """
                Goes on past a database it cannot drop and names it with the reason; exit status 1 only \
                when something asked for remains. Other roles' databases are left alone.
                """)

        @OptionGroup var server: ServerOptions

        @Flag(help: "Also drop failed tests' kept databases.")
        var kept = false

        @Flag(help: "Also drop templates and ready clones (rebuilt on the next run).")
        var templates = false

        @Flag(help: "Everything PGFast created: --kept and --templates.")
        var all = false

        func run() async throws {
            try server.apply()
            let report = try await TestDatabases.cleanupReport(kept: kept || all, templates: templates || all)
            for name in report.dropped { print("dropped \(name)") }
            print(report.summary)
            if !report.failed.isEmpty { throw ExitCode.failure }
        }
    }
}
