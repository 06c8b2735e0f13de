import PGFast

@testable import PGFastTesting

extension TemplateStore {
    /// A store as a new process would have one: nothing built, nothing remembered.
    static func asNewProcess() async throws -> TemplateStore {
        let shared = try await TestEnvironment.current.shared()
        return TemplateStore(server: shared.server, admin: shared.admin, logger: shared.logger, forceRebuild: false)
    }
}

extension TemplateRecipe {
    /// The recipe of a template made from `source` alone, as a test of this package would ask for it
    /// (in the connected role's lineage when it is not a superuser, as ``RecipeCache`` makes it).
    static func of(_ source: TemplateSource) async throws -> TemplateRecipe {
        let shared = try await TestEnvironment.current.shared()
        return try RecipeCache.make(
            IsolatedDatabaseOptions(template: source), serverVersion: shared.serverVersion, role: shared.templateRole)
    }
}

extension Catalog {
    /// Whether `name` is a sealed template (nobody may connect, clones may be made).
    static func isSealed(_ name: String) async throws -> Bool {
        try await admin.value(
            "SELECT datistemplate AND NOT datallowconn FROM pg_database WHERE datname = \(name)", as: Bool?.self)
            == true
    }
}
