/// A value that can be sent to PostgreSQL as a bind parameter.
///
/// PGFast sends binds with their type (so `SELECT \(5)` is an `int8`) and, for
/// most types, in binary format. Conform your own types by encoding to one of
/// the built-in ones:
///
/// ```swift
/// struct Email: PostgresEncodable {
///     var address: String
///     static var postgresType: PostgresType { String.postgresType }
///     static var postgresFormat: PostgresFormat { String.postgresFormat }
///     func encode(into buffer: inout [UInt8]) throws { try address.encode(into: &buffer) }
/// }
/// ```
public protocol PostgresEncodable: Sendable {
    /// The type declared for the bind; ``PostgresType/unspecified`` lets the server infer it.
    static var postgresType: PostgresType { get }
    /// The format of the bytes written by ``encode(into:)``.
    static var postgresFormat: PostgresFormat { get }
    /// Appends the value's bytes (never called for SQL NULL).
    func encode(into buffer: inout [UInt8]) throws
    /// The bind for this value: `Optional` returns a NULL bind, everything else encodes itself.
    func makeBind() throws -> PostgresBind
}

extension PostgresEncodable {
    public static var postgresFormat: PostgresFormat { .binary }

    public func makeBind() throws -> PostgresBind {
        var bytes: [UInt8] = []
        try encode(into: &bytes)
        return PostgresBind(type: Self.postgresType, format: Self.postgresFormat, bytes: bytes)
    }
}

/// One encoded bind parameter: its declared type, its format and its bytes (`nil` is SQL NULL).
public struct PostgresBind: Sendable, Hashable {
    public var type: PostgresType
    public var format: PostgresFormat
    public var bytes: [UInt8]?

    public init(type: PostgresType, format: PostgresFormat, bytes: [UInt8]?) {
        self.type = type
        self.format = format
        self.bytes = bytes
    }

    /// A NULL of the given type.
    public static func null(_ type: PostgresType = .unspecified) -> PostgresBind {
        PostgresBind(type: type, format: .binary, bytes: nil)
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public static var postgresFormat: PostgresFormat { Wrapped.postgresFormat }

    public func encode(into buffer: inout [UInt8]) throws {
        if let value = self { try value.encode(into: &buffer) }
    }

    public func makeBind() throws -> PostgresBind {
        guard let value = self else { return .null(Wrapped.postgresType) }
        return try value.makeBind()
    }
}
