import Foundation
import PGFast

/// The recipes of the template sources that are not migration files: a schema dump and
/// the app's own code (see ``TemplateSource``).
extension TemplateRecipe {
    /// A `pg_dump` file, keyed by its content. It is read and split now, so a file that
    /// does not split (an unclosed quote, a `\connect`) fails before any database exists.
    /// `withoutOwnership`: for a role that is not a superuser, loaded as `pg_restore --no-owner
    /// --no-privileges` would (``SQLScript/withoutOwnershipOrPrivileges()``).
    static func dump(at url: URL, shownAs path: String, serverVersion: Int, withoutOwnership: Bool = false) throws
        -> TemplateRecipe
    {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw IsolatedDatabaseError(
                code: .templateBuildFailed, message: "cannot read the dump \(url.path)", file: url.path,
                underlying: error)
        }
        let parsed: SQLScript
        do {
            parsed = try SQLScript(contentsOf: url)
        } catch let error as SQLScriptError {
            throw IsolatedDatabaseError(
                code: .templateBuildFailed, message: "cannot read the dump \(error)", file: url.path,
                line: error.line, underlying: error)
        }
        let script = withoutOwnership ? parsed.withoutOwnershipOrPrivileges() : parsed
        return TemplateRecipe(
            lineage: hash(["dump", url.standardizedFileURL.path], length: 8),
            key: hash(
                [PGFastVersion.string, String(serverVersion / 100), Migration.checksum(up: data, down: nil)],
                length: 16),
            parent: nil,
            summary: "the dump \(path)",
            build: { database in
                do {
                    // One transaction: a dump that fails half-way leaves nothing applied.
                    try await database.transaction { tx in
                        try await tx.execute(script)
                        try await tx.execute(script: "RESET ALL")
                    }
                } catch let error as PostgresError {
                    var location = error.sourceFile ?? url.path
                    if let line = error.sourceLine { location += ":\(line)" }
                    var message = "\(location): the dump failed"
                    if let sqlState = error.sqlState { message += " (\(sqlState))" }
                    throw IsolatedDatabaseError(
                        code: .templateBuildFailed, message: message + ": \(error.message)", file: url.path,
                        line: error.sourceLine, underlying: error)
                }
            })
    }

    /// The app's code, keyed by the key it was given: PGFast cannot see what it does.
    static func build(_ build: TemplateSource.Build, serverVersion: Int) -> TemplateRecipe {
        TemplateRecipe(
            lineage: hash(["build", build.name], length: 8),
            key: hash([PGFastVersion.string, String(serverVersion / 100), build.key], length: 16),
            parent: nil,
            summary: "build(key: \"\(build.key)\")",
            build: { database in
                let template = try await IsolatedDatabase.template(on: database)
                do {
                    // Not inside the test that asked first: `IsolatedDatabase.current` is no template.
                    try await IsolatedDatabase.$scope.withValue(nil) { try await build.body(template) }
                } catch {
                    throw IsolatedDatabaseError(
                        code: .templateBuildFailed,
                        message: "the template build(key: \"\(build.key)\") failed: its code threw",
                        underlying: error)
                }
            })
    }
}

extension IsolatedDatabase {
    /// The template being built, as the `.build` code sees it: nothing to drop, no test slot.
    static func template(on database: Database) async throws -> IsolatedDatabase {
        let shared = try await TestEnvironment.current.shared()
        let name = database.pool.config.database ?? ""
        let lease = CloneLease(
            shared: shared, clone: ReadyClone(name: name, pool: database.pool), borrowed: true, holdsSlot: false)
        return IsolatedDatabase(
            name: name, url: shared.server.url(database: name), database: database, mode: .clone, lease: lease)
    }
}
