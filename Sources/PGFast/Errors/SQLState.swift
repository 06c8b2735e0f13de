/// A five-character SQLSTATE code, with named constants for the common ones.
///
/// ```swift
/// do {
///     try await db.execute("INSERT INTO users (email) VALUES (\(email))")
/// } catch let error as PostgresError where error.sqlState == .uniqueViolation {
///     // the email is taken
/// }
/// ```
public struct SQLState: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// The first two characters: the class (`23` integrity constraint violation, `42` syntax or access rule…).
    public var errorClass: String { String(rawValue.prefix(2)) }

    public static let successfulCompletion: SQLState = "00000"
    public static let connectionException: SQLState = "08000"
    public static let connectionFailure: SQLState = "08006"
    public static let featureNotSupported: SQLState = "0A000"
    public static let invalidTransactionState: SQLState = "25000"
    public static let activeSQLTransaction: SQLState = "25001"
    public static let noActiveSQLTransaction: SQLState = "25P01"
    public static let inFailedSQLTransaction: SQLState = "25P02"
    public static let readOnlySQLTransaction: SQLState = "25006"
    public static let stringDataRightTruncation: SQLState = "22001"
    public static let numericValueOutOfRange: SQLState = "22003"
    public static let nullValueNotAllowed: SQLState = "22004"
    public static let invalidDatetimeFormat: SQLState = "22007"
    public static let datetimeFieldOverflow: SQLState = "22008"
    public static let divisionByZero: SQLState = "22012"
    public static let invalidTextRepresentation: SQLState = "22P02"
    public static let invalidParameterValue: SQLState = "22023"
    public static let invalidJSONText: SQLState = "22P05"
    public static let integrityConstraintViolation: SQLState = "23000"
    public static let restrictViolation: SQLState = "23001"
    public static let notNullViolation: SQLState = "23502"
    public static let foreignKeyViolation: SQLState = "23503"
    public static let uniqueViolation: SQLState = "23505"
    public static let checkViolation: SQLState = "23514"
    public static let exclusionViolation: SQLState = "23P01"
    public static let invalidAuthorizationSpecification: SQLState = "28000"
    public static let invalidPassword: SQLState = "28P01"
    public static let invalidCatalogName: SQLState = "3D000"
    public static let invalidSchemaName: SQLState = "3F000"
    public static let serializationFailure: SQLState = "40001"
    public static let deadlockDetected: SQLState = "40P01"
    public static let syntaxError: SQLState = "42601"
    public static let insufficientPrivilege: SQLState = "42501"
    public static let undefinedColumn: SQLState = "42703"
    public static let undefinedFunction: SQLState = "42883"
    public static let undefinedTable: SQLState = "42P01"
    public static let undefinedObject: SQLState = "42704"
    public static let undefinedParameter: SQLState = "42P02"
    public static let duplicateColumn: SQLState = "42701"
    public static let duplicateDatabase: SQLState = "42P04"
    public static let duplicateSchema: SQLState = "42P06"
    public static let duplicateTable: SQLState = "42P07"
    public static let duplicateObject: SQLState = "42710"
    public static let ambiguousColumn: SQLState = "42702"
    public static let datatypeMismatch: SQLState = "42804"
    public static let wrongObjectType: SQLState = "42809"
    public static let invalidColumnReference: SQLState = "42P10"
    public static let tooManyConnections: SQLState = "53300"
    public static let outOfMemory: SQLState = "53200"
    public static let objectInUse: SQLState = "55006"
    public static let lockNotAvailable: SQLState = "55P03"
    public static let queryCanceled: SQLState = "57014"
    public static let adminShutdown: SQLState = "57P01"
    public static let crashShutdown: SQLState = "57P02"
    public static let cannotConnectNow: SQLState = "57P03"
    public static let databaseDropped: SQLState = "57P04"
    public static let idleSessionTimeout: SQLState = "57P05"
    public static let raiseException: SQLState = "P0001"
    public static let noDataFound: SQLState = "P0002"
    public static let tooManyRows: SQLState = "P0003"
    public static let assertFailure: SQLState = "P0004"
    public static let internalError: SQLState = "XX000"
}
