import Foundation

extension MigrationSet {
    /// The migration tool whose file layout a directory uses.
    ///
    /// ``MigrationSet/load(directories:layout:)`` detects it from the files; name one when
    /// detection cannot tell (sqlx's up-only files look like pgdbm's), either in code or with
    /// a `.pgfast-layout` file in the directory holding the name (`sqlx`, `goose`, …).
    ///
    /// | Style | Files | Order |
    /// |---|---|---|
    /// | ``pgfast`` | `{14 digits}_{name}_up.sql`, `_down.sql` | numeric |
    /// | ``pgdbm`` | `{digits}_{name}.sql`, up only | numeric |
    /// | ``golangMigrate`` | `{digits}_{name}.up.sql`, `.down.sql` | numeric |
    /// | ``sqlx`` | `{digits}_{name}.sql`, or `.up.sql` / `.down.sql` | numeric |
    /// | ``dbmate`` | `{digits}_{name}.sql` with `-- migrate:up` / `-- migrate:down` | by version text |
    /// | ``goose`` | `{digits}_{name}.sql` with `-- +goose Up` / `-- +goose Down` | numeric |
    /// | ``diesel`` | `{YYYY-MM-DD-HHMMSS}_{name}/up.sql`, `down.sql` | by version text |
    /// | ``flyway`` | `V{version}__{description}.sql`, undo `U…` | numeric, part by part |
    ///
    /// ```swift
    /// let set = try MigrationSet.load(directories: [URL(filePath: "db/migrations")], layout: .sqlx)
    /// ```
    public struct Style: Sendable, Hashable, CustomStringConvertible, RawRepresentable {
        enum Base: String, Sendable, CaseIterable {
            case pgfast, pgdbm, dbmate, goose, diesel, flyway, sqlx
            case golangMigrate = "golang-migrate"
        }
        let base: Base

        init(base: Base) {
            self.base = base
        }

        /// The name used in messages, `.pgfast-layout` files and the CLI's `--layout`.
        public var description: String { base.rawValue }

        /// `{14-digit version}_{name}_up.sql` with an optional `_down.sql`.
        public static let pgfast = Style(base: .pgfast)
        /// Python pgdbm's `NNN_name.sql`: the number is the version, there are no down files.
        public static let pgdbm = Style(base: .pgdbm)
        /// golang-migrate's `{version}_{title}.up.sql` / `.down.sql`; the version is any unsigned
        /// integer. golang-migrate runs a file without a transaction of its own, so files often
        /// say `BEGIN;` … `COMMIT;`: those statements are dropped and the file runs in the
        /// migrator's transaction, with the same all-or-nothing effect.
        public static let golangMigrate = Style(base: .golangMigrate)
        /// sqlx's `{version}_{description}.sql` (up only) and `.up.sql` / `.down.sql`; a file
        /// starting with `-- no-transaction` runs outside a transaction.
        public static let sqlx = Style(base: .sqlx)
        /// dbmate's single file with `-- migrate:up` and `-- migrate:down` sections;
        /// `-- migrate:up transaction:false` runs that section outside a transaction.
        public static let dbmate = Style(base: .dbmate)
        /// goose SQL files: `-- +goose Up` / `-- +goose Down`, `StatementBegin` / `StatementEnd`
        /// blocks sent as one statement, `-- +goose NO TRANSACTION`.
        public static let goose = Style(base: .goose)
        /// diesel: a folder per migration with `up.sql` and `down.sql`; `metadata.toml` with
        /// `run_in_transaction = false` runs both outside a transaction. The version is the
        /// folder's prefix without dashes (`2024-01-02-030405` is `20240102030405`), as diesel records it.
        public static let diesel = Style(base: .diesel)
        /// Flyway: `V{version}__{description}.sql`, undo files `U{version}__….sql` as downs,
        /// versions such as `1`, `1.1`, `2_1` (= `2.1`) compared part by part. A
        /// `V….sql.conf` with `executeInTransaction=false` runs the file outside a transaction.
        /// Repeatable `R__` files are refused: PGFast applies a migration once, so their SQL
        /// belongs in a versioned file (or a fixture).
        public static let flyway = Style(base: .flyway)

        /// Every style, in the order detection reports them.
        public static let all: [Style] = Base.allCases.map(Style.init(base:))

        /// The style called `name` (`golang-migrate`, `golang_migrate` and `migrate` all name golang-migrate).
        public init?(name: String) {
            let normalized = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                .replacingOccurrences(of: "_", with: "-")
            if normalized == "migrate" || normalized == "golangmigrate" {
                self = .golangMigrate
                return
            }
            guard let base = Base(rawValue: normalized) else { return nil }
            self.init(base: base)
        }

        /// The name, as when `Style` was an enum of `String`s.
        public var rawValue: String { description }

        /// The style called `rawValue`; see ``init(name:)``.
        public init?(rawValue: String) {
            self.init(name: rawValue)
        }

        /// Whether `lhs` is applied before `rhs` when no dependency says otherwise.
        ///
        /// dbmate and diesel sort by the version's text (file names, folder names); the
        /// others compare numbers (Flyway part by part, so `1.2` precedes `1.10`).
        func precedes(_ lhs: String, _ rhs: String) -> Bool {
            switch base {
            case .dbmate, .diesel: lhs < rhs
            default: Migration.versionPrecedes(lhs, rhs)
            }
        }

        /// What a file of this style is named like, for errors.
        var pattern: String {
            switch base {
            case .pgfast: "{version}_{name}_up.sql / {version}_{name}_down.sql"
            case .pgdbm: "{version}_{name}.sql"
            case .golangMigrate: "{version}_{name}.up.sql / {version}_{name}.down.sql"
            case .sqlx: "{version}_{name}.sql or {version}_{name}.up.sql / .down.sql"
            case .dbmate: "{version}_{name}.sql with -- migrate:up"
            case .goose: "{version}_{name}.sql with -- +goose Up"
            case .diesel: "{YYYY-MM-DD-HHMMSS}_{name}/up.sql"
            case .flyway: "V{version}__{description}.sql"
            }
        }

        /// Whether the up and down SQL share one file, in sections.
        var usesSections: Bool { base == .dbmate || base == .goose }
    }
}
