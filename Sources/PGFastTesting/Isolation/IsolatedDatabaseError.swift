/// Errors of isolated test databases: bad configuration, a template that
/// cannot be built, an unknown fixture, use outside a test.
///
/// ```swift
/// do { _ = try IsolatedDatabase.current } catch let error as IsolatedDatabaseError {
///     print(error.code)   // notInIsolatedTest
/// }
/// ```
public struct IsolatedDatabaseError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case notInIsolatedTest, invalidConfiguration, templateBuildFailed, fixtureFailed, unknownFixture
            case cloneFailed, noMigrations
        }
        let base: Base
        public var description: String { base.rawValue }

        /// `IsolatedDatabase.current` was read outside an isolated test.
        public static let notInIsolatedTest = Code(base: .notInIsolatedTest)
        /// A setting (`TEST_DATABASE_URL`, a `PGFAST_*` variable, a trait argument) is malformed.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// Building a new template failed: its migrations, its dump or its `.build` code.
        public static let templateBuildFailed = Code(base: .templateBuildFailed)
        /// Loading a fixture file failed.
        public static let fixtureFailed = Code(base: .fixtureFailed)
        /// A fixture name matches no `{version}_{name}_fixture.sql` file.
        public static let unknownFixture = Code(base: .unknownFixture)
        /// `CREATE DATABASE … TEMPLATE` failed.
        public static let cloneFailed = Code(base: .cloneFailed)
        /// No migrations directory was found.
        public static let noMigrations = Code(base: .noMigrations)
    }

    public var code: Code
    public var message: String
    /// The file the error is about, if any.
    public var file: String?
    /// The 1-based line in ``file`` (a dump's failing statement), if known.
    public var line: Int?
    /// The error underneath (a `PostgresError`, a `MigrationError`…).
    public var underlying: (any Error)?

    public init(code: Code, message: String, file: String? = nil, line: Int? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.underlying = underlying
    }

    public var description: String {
        var text = "IsolatedDatabaseError.\(code): \(message)"
        if let underlying { text += "\n" + String(describing: underlying) }
        return text
    }
}
