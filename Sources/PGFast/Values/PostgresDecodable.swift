/// A value that can be read from a column of a query result.
///
/// PGFast asks for every result in binary format; a decoder gets the column's
/// raw bytes and its type, and throws ``PostgresDecodingFailure`` when it cannot
/// read them. The row turns that into a ``PostgresError`` naming the column and
/// both types.
///
/// ```swift
/// struct Email: PostgresDecodable {
///     var address: String
///     init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
///         address = try String(postgresBytes: bytes, type: type)
///     }
/// }
/// ```
public protocol PostgresDecodable: Sendable {
    /// Reads a non-NULL value from its binary representation.
    init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws
    /// The value for SQL NULL: `Optional` gives `nil`, every other type throws
    /// ``PostgresDecodingFailure/unexpectedNull``.
    static func decodeNull(type: PostgresType) throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull(type: PostgresType) throws -> Self {
        throw PostgresDecodingFailure.unexpectedNull
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        self = .some(try Wrapped(postgresBytes: bytes, type: type))
    }

    public static func decodeNull(type: PostgresType) throws -> Self { nil }
}

/// A type that is both sent and read.
public typealias PostgresCodable = PostgresDecodable & PostgresEncodable

/// Why a value could not be decoded; the row adds the column and the Swift type.
public enum PostgresDecodingFailure: Error, Sendable, Equatable {
    /// The column's type cannot be read as the requested Swift type.
    case typeMismatch
    /// The column is NULL and the Swift type is not optional.
    case unexpectedNull
    /// The bytes are not a valid value of the column's type (with what was wrong).
    case malformed(String)
}
