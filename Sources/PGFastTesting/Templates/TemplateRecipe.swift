import PGFast

/// What a template database is made of, and how to make it.
///
/// The `key` hashes everything that changes its content (migration files and
/// their order, fixture files, PGFast's version, the server's version), so a
/// changed migration means a new template and an unchanged one a reused template.
struct TemplateRecipe: Sendable {
    /// What the template is built from (directories, fixture names): one template per lineage survives.
    let lineage: String
    /// How: the hash of the contents.
    let key: String
    /// The template this one is layered on (fixtures on top of migrations).
    let parent: Parent?
    /// For messages: "migrations in db/migrations", "fixtures users, orders".
    let summary: String
    /// Fills the new database.
    let build: @Sendable (Database) async throws -> Void

    final class Parent: Sendable {
        let recipe: TemplateRecipe
        init(_ recipe: TemplateRecipe) { self.recipe = recipe }
    }

    var name: String { DatabaseNames.template(lineage: lineage, key: key) }
    var buildName: String { DatabaseNames.build(lineage: lineage, key: key) }

    /// Hex SHA-256 prefix of the parts, separated so ("ab","c") differs from ("a","bc").
    static func hash(_ parts: [String], length: Int) -> String {
        var hasher = SHA256()
        for part in parts {
            hasher.update(part.utf8)
            hasher.update([0])
        }
        return String(hasher.hexDigest().prefix(length))
    }
}
