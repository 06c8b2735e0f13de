/// A problem with migration or fixture files, or (later) with applying them.
///
/// Loading collects every problem it finds: the thrown error is the first one, precise on
/// its own, and ``additionalErrors`` holds the rest, so one run shows everything to fix.
///
/// ```swift
/// do {
///     _ = try MigrationSet.load(directories: [URL(filePath: "db/migrations")])
/// } catch let error as MigrationError where error.code == .dependencyCycle {
///     print(error)
///     // db/migrations/20250101000000_a_up.sql:1: dependency cycle: 20250101000000 -> 20250102000000 -> 20250101000000
/// }
/// ```
public struct MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; new codes can be added without breaking callers that do not `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case invalidFileName, mixedStyles, duplicateVersion, downWithoutUp, unknownDependency
            case dependencyCycle, invalidDirective, invalidScript, unreadableFile, directoryNotFound
            case duplicateFixture, unknownFixture, fixtureWithoutMigration
            case checksumMismatch, missingFile, noDownFile, dependentStillApplied, applyFailed, lockTimeout
            case unknownVersion, invalidArgument, dirtyHistory
        }
        let base: Base
        public var description: String { base.rawValue }

        /// Another tool's history says a migration failed half way (golang-migrate's `dirty`,
        /// a failed sqlx or Flyway row): nothing runs until the database is mended.
        public static let dirtyHistory = Code(base: .dirtyHistory)
        /// A `.sql` file in a migrations directory whose name does not parse.
        public static let invalidFileName = Code(base: .invalidFileName)
        /// pgfast-style (`{version}_{name}_up.sql`) and pgdbm-style (`NNN_name.sql`) files mixed.
        public static let mixedStyles = Code(base: .mixedStyles)
        /// Two migrations (or two down files) share a version.
        public static let duplicateVersion = Code(base: .duplicateVersion)
        /// A `_down.sql` file has no `_up.sql` file with the same version and name.
        public static let downWithoutUp = Code(base: .downWithoutUp)
        /// `depends_on` names a version no migration has.
        public static let unknownDependency = Code(base: .unknownDependency)
        /// Migrations depend on each other in a circle; the message prints it.
        public static let dependencyCycle = Code(base: .dependencyCycle)
        /// A `-- pgfast:` directive that is unknown, misplaced or has a bad value.
        public static let invalidDirective = Code(base: .invalidDirective)
        /// The SQL cannot be split into statements (an unterminated quote, a psql meta-command…).
        public static let invalidScript = Code(base: .invalidScript)
        /// A file could not be read or is not UTF-8.
        public static let unreadableFile = Code(base: .unreadableFile)
        /// A migrations or fixtures directory named explicitly does not exist.
        public static let directoryNotFound = Code(base: .directoryNotFound)
        /// Two fixture files share a version and a name.
        public static let duplicateFixture = Code(base: .duplicateFixture)
        /// A fixture was asked for by a name no fixture file has.
        public static let unknownFixture = Code(base: .unknownFixture)
        /// A fixture's version matches no migration.
        public static let fixtureWithoutMigration = Code(base: .fixtureWithoutMigration)
        /// An applied migration's file changed since it was applied.
        public static let checksumMismatch = Code(base: .checksumMismatch)
        /// An applied migration's file is gone.
        public static let missingFile = Code(base: .missingFile)
        /// A migration to roll back has no `_down.sql` file.
        public static let noDownFile = Code(base: .noDownFile)
        /// Rolling back would leave an applied migration without one it depends on.
        public static let dependentStillApplied = Code(base: .dependentStillApplied)
        /// A migration's SQL failed on the server.
        public static let applyFailed = Code(base: .applyFailed)
        /// The migration lock was not acquired in time.
        public static let lockTimeout = Code(base: .lockTimeout)
        /// A target version (`up(to:)`, `down(to:)`) that no migration has, or that is not applied.
        public static let unknownVersion = Code(base: .unknownVersion)
        /// An argument out of range, such as a negative number of steps.
        public static let invalidArgument = Code(base: .invalidArgument)
    }

    public var code: Code
    /// The file at fault (its path), when there is one.
    public var file: String?
    /// The 1-based line in ``file``, when known.
    public var line: Int?
    public var message: String
    /// More context, such as the other files involved.
    public var detail: String?
    /// What to do about it.
    public var hint: String?
    /// The splitter's error, for ``Code/invalidScript``.
    public var scriptError: SQLScriptError?
    /// Further problems found in the same load, in a stable order.
    public var additionalErrors: [MigrationError] = []

    public init(
        code: Code, file: String? = nil, line: Int? = nil, message: String, detail: String? = nil,
        hint: String? = nil
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    /// This error followed by ``additionalErrors``, each without nested errors.
    public var allErrors: [MigrationError] {
        var first = self
        first.additionalErrors = []
        return [first] + additionalErrors
    }

    /// `file:line: message`, then `DETAIL:`/`HINT:` lines, then any further errors.
    public var description: String {
        var text = ""
        if let file {
            text = file
            if let line { text += ":\(line)" }
            text += ": "
        }
        text += message
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        if !additionalErrors.isEmpty {
            text += "\n(\(additionalErrors.count) more error\(additionalErrors.count == 1 ? "" : "s"))"
            for error in additionalErrors { text += "\n" + error.description }
        }
        return text
    }
}

extension MigrationError {
    init(_ error: SQLScriptError) {
        let code: Code =
            switch error.code {
            case .unreadableFile, .invalidEncoding: .unreadableFile
            default: .invalidScript
            }
        self.init(code: code, file: error.file, line: error.line, message: error.message)
        scriptError = error
    }

    /// Throws the first of `errors` carrying the others, if there are any.
    static func throwIfAny(_ errors: [MigrationError]) throws {
        guard var first = errors.first else { return }
        first.additionalErrors = Array(errors.dropFirst())
        throw first
    }
}
