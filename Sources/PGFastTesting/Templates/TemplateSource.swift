/// What a template database is made from: migration files, a schema dump, or the
/// app's own code. Fixture layers (`.fixtures(…)`) go on top of each.
///
/// ```swift
/// @Suite(.isolatedDatabase(template: .migrations(["db/migrations"])))   // SQL migration files
/// @Suite(.isolatedDatabase(template: .dump("db/structure.sql")))        // a pg_dump file
/// @Suite(.isolatedDatabase(template: .build(key: "schema-v3") { template in
///     try await runMyMigrations(url: template.url)                      // the app's own code, once per key
/// }))
/// ```
///
/// Whatever the source, the template is built once per server (across tests,
/// processes and runs, under one advisory lock), sealed, and cloned for each test;
/// it is built again when its content changes: a migration file, the dump's text,
/// or the `.build` key.
public struct TemplateSource: Sendable, Hashable, CustomStringConvertible {
    enum Base: Sendable, Hashable {
        /// `PGFAST_MIGRATIONS_DIRS`, else every `**/migrations` under the project root.
        case discovered
        case migrations([String])
        case dump(String)
        case build(Build)
    }

    /// The app's code that builds a template. Equal when name and key are: the key says
    /// what the code makes, so two closures with one key are one template.
    struct Build: Sendable, Hashable {
        let key: String
        /// The lineage: a new key supersedes the template an older key built under this name.
        let name: String
        let body: @Sendable (IsolatedDatabase) async throws -> Void

        static func == (lhs: Build, rhs: Build) -> Bool { lhs.key == rhs.key && lhs.name == rhs.name }
        func hash(into hasher: inout Hasher) {
            hasher.combine(key)
            hasher.combine(name)
        }
    }

    let base: Base

    /// The migrations PGFast finds by itself: the directories in `PGFAST_MIGRATIONS_DIRS`,
    /// else every `**/migrations` folder under the project root. The default.
    public static var discovered: TemplateSource { TemplateSource(base: .discovered) }

    /// Migration files in these directories (relative to the root of the package that
    /// holds the test), read by the migrator's loader: PGFast's layout or another tool's.
    ///
    /// Keyed by the files' names and contents: a changed file builds a new template.
    public static func migrations(_ directories: [String]) -> TemplateSource {
        TemplateSource(base: .migrations(directories))
    }

    /// A plain-SQL `pg_dump` file (`--schema-only`, or a full dump with `COPY … FROM stdin`
    /// data), such as Rails' `db/structure.sql`, run statement by statement in one
    /// transaction. The path is relative to the root of the package that holds the test.
    ///
    /// Keyed by the file's content: an edited dump builds a new template. A statement
    /// that fails names the file and line. Make the dump with `--no-owner --no-privileges`
    /// when the test server lacks the roles it names. psql meta-commands other than
    /// `\restrict`/`\unrestrict` (a `-C` dump's `\connect`) are rejected, and so is
    /// `pg_dump`'s custom format: use `--format=plain`.
    ///
    /// ```swift
    /// @Suite(.isolatedDatabase(template: .dump("db/structure.sql")))
    /// ```
    public static func dump(_ path: String) -> TemplateSource {
        TemplateSource(base: .dump(path))
    }

    /// The app's own code builds the template: Fluent's `autoMigrate()`, hummingbird-postgres
    /// migrations, or any SQL, run on `template` (its ``IsolatedDatabase/url``,
    /// ``IsolatedDatabase/config``, ``IsolatedDatabase/database`` and ``IsolatedDatabase/pool``
    /// reach the template being built).
    ///
    /// `body` runs once per key and server: the tests and processes that ask at once wait
    /// for one build under the template's advisory lock, and later runs reuse the sealed
    /// template. PGFast cannot see what the code does, so **change the key whenever the
    /// schema it makes changes** (a migration added, say): a new key builds a new template
    /// and supersedes the previous key's template of the same `name`. When `body` throws,
    /// the half-built database is dropped and the tests fail with
    /// ``IsolatedDatabaseError/Code/templateBuildFailed`` naming the key.
    ///
    /// Connections `body` leaves open to the template are closed before it is sealed.
    ///
    /// ```swift
    /// @Suite(.isolatedDatabase(template: .build(key: "todos-v2") { template in
    ///     try await template.execute("CREATE TABLE todos (id serial PRIMARY KEY, title text NOT NULL)")
    /// }))
    /// ```
    ///
    /// - Parameters:
    ///   - key: Names what `body` makes; one template per key.
    ///   - name: The lineage (by default the file that calls `build`): a new key supersedes
    ///     the old key's template of the same name. Give two builds in one file their own names.
    ///   - fileID: The calling file, the default `name`.
    ///   - body: Builds the schema on `template`; it must not keep `template` after returning.
    public static func build(
        key: String, name: String? = nil, fileID: String = #fileID,
        _ body: @escaping @Sendable (_ template: IsolatedDatabase) async throws -> Void
    ) -> TemplateSource {
        TemplateSource(base: .build(Build(key: key, name: name ?? fileID, body: body)))
    }

    /// Whether the source was left to discovery (so a suite's source applies).
    var isDiscovered: Bool { base == .discovered }

    public var description: String {
        switch base {
        case .discovered: "discovered migrations"
        case .migrations(let directories): "migrations in " + directories.joined(separator: ", ")
        case .dump(let path): "dump \(path)"
        case .build(let build): "build(key: \"\(build.key)\")"
        }
    }
}
