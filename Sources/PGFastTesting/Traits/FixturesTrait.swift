import Foundation
import Testing

/// Loads fixture files (`{version}_{name}_fixture.sql`) into the test's
/// database, in the migrations' order. The set is baked into a template of its
/// own, so a test with fixtures costs what a test without them costs.
///
/// Alone it gives the test an isolated database too; with `.isolatedDatabase`
/// on the test or its suite, it adds to that.
///
/// ```swift
/// @Test(.fixtures("users", "orders"))
/// func listsOrders() async throws {
///     let db = try IsolatedDatabase.current.database
///     let count = try await db.value("SELECT count(*) FROM orders", as: Int.self)
/// }
/// ```
public struct FixturesTrait: TestTrait, SuiteTrait, TestScoping {
    public var names: [String]
    /// Tells this trait apart from an equal one on the suite.
    let identity = UUID()

    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> FixturesTrait? {
        guard !test.isSuite, testCase != nil else { return nil }
        // An `.isolatedDatabase` trait reads the fixtures itself.
        if test.traits.contains(where: { $0 is IsolatedDatabaseTrait }) { return nil }
        // Only the innermost fixtures trait provides the scope; it gathers the others.
        let innermost = test.traits.last { $0 is FixturesTrait } as? FixturesTrait
        return innermost?.identity == identity ? self : nil
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await IsolatedDatabaseTrait(options: IsolatedDatabaseOptions())
            .provideScope(for: test, testCase: testCase, performing: function)
    }
}

extension Trait where Self == FixturesTrait {
    /// Fixture sets to load, by name: `users` loads `{version}_users_fixture.sql`.
    public static func fixtures(_ names: String...) -> Self {
        FixturesTrait(names: names)
    }
}
