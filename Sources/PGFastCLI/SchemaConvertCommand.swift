import ArgumentParser
import Foundation
import PGFast

extension SchemaCommand {
    /// `pgfast schema convert --to pgfast <dir> <out>`: another tool's layout rewritten into PGFast's.
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write another tool's migrations into a new directory in PGFast's layout.",
            discussion: """
                Reads <dir> in its layout (detected, or --layout), and writes each migration as \\
                {version}_{name}_up.sql and _down.sql into <out>, in the same order: 14-digit versions are \\
                kept when they already are, else replaced by timestamps one second apart. Migrations that \\
                ran outside a transaction get -- pgfast:no-transaction. <out> must be new or empty.
                """)

        @Option(name: .customLong("to"), help: "The layout to write (only pgfast).")
        var destination: String

        @Option(help: "The source layout when detection cannot tell (see pgfast schema up --help).")
        var layout: String?

        @Argument(help: "The migrations directory to read.")
        var directory: String

        @Argument(help: "The directory to write (created; must be empty if it exists).")
        var output: String

        func validate() throws {
            guard MigrationSet.Style(name: destination) == .pgfast else {
                throw ValidationError("--to '\(destination)': only --to pgfast is supported")
            }
            if let layout, MigrationSet.Style(name: layout) == nil {
                throw ValidationError(
                    "--layout '\(layout)' is not a layout; use one of "
                        + MigrationSet.Style.all.map(\.description).joined(separator: ", "))
            }
        }

        func run() throws {
            let set = try MigrationSet.load(
                directories: [URL(fileURLWithPath: directory)], layout: layout.flatMap(MigrationSet.Style.init(name:)))
            let written = try set.writePGFastLayout(to: URL(fileURLWithPath: output))
            for (migration, file) in written {
                print("\(migration.displayName) -> \(file.lastPathComponent)")
            }
            print("\(written.count) \(set.style) migration(s) written to \(output) in pgfast layout")
        }
    }
}
