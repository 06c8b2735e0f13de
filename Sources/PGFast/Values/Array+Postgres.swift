import Foundation

/// A type that can be an element of a PostgreSQL array, such as `Int` in `int8[]`.
///
/// Arrays use the binary array format: one dimension, lower bound 1, NULL elements
/// for `nil` in `[T?]`. To make arrays of your own type work, declare its array
/// type and opt in to array encoding and decoding (the implementations come free):
///
/// ```swift
/// extension Email: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
///     static var postgresArrayType: PostgresType { .textArray }
///     static var postgresArrayElementType: PostgresType { .text }
/// }
/// try await db.execute("SELECT * FROM users WHERE email = ANY(\(emails))")
/// ```
public protocol PostgresArrayElement: Sendable {
    /// The array type: `int8[]` for `Int`.
    static var postgresArrayType: PostgresType { get }
    /// The element type written in the array header; the server checks it against the
    /// array type. Defaults to ``PostgresEncodable/postgresType``.
    static var postgresArrayElementType: PostgresType { get }
}

extension PostgresArrayElement where Self: PostgresEncodable {
    public static var postgresArrayElementType: PostgresType { postgresType }
}

/// A type whose Swift arrays can be bound: `[Int]` as `int8[]`, `[String?]` as `text[]`
/// with NULLs, and `[UInt8]` as `bytea`.
///
/// It is separate from ``PostgresArrayElement`` because Swift allows `Array` only one
/// conformance to ``PostgresEncodable``: `[UInt8]` has to go through the same one as
/// `[Int]`, so `UInt8` conforms here (as "arrays of me are bytea") without being an
/// array element or a value of its own.
///
/// ```swift
/// let ids: [Int] = [1, 2, 3]
/// let rows = try await db.query("SELECT * FROM users WHERE id = ANY(\(ids))")
/// ```
public protocol PostgresArrayEncodable: Sendable {
    /// The PostgreSQL type of `[Self]`.
    static var postgresArrayType: PostgresType { get }
    /// Appends `[Self]` in binary format.
    static func encodePostgresArray(_ elements: [Self], into buffer: inout [UInt8]) throws
}

/// A type whose Swift arrays can be read from a column: `[Int]` from `int2[]`, `int4[]`
/// or `int8[]`, `[String?]` from `text[]` with NULLs, and `[UInt8]` from `bytea`.
///
/// ```swift
/// let tags = try row.decode([String].self, column: "tags")
/// ```
public protocol PostgresArrayDecodable: Sendable {
    /// Reads `[Self]` from a column of type `type`.
    static func decodePostgresArray(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws -> [Self]
}

extension PostgresArrayEncodable where Self: PostgresEncodable & PostgresArrayElement {
    public static func encodePostgresArray(_ elements: [Self], into buffer: inout [UInt8]) throws {
        try PostgresArrayFormat.encode(elements, elementType: postgresArrayElementType, into: &buffer) {
            try $0.encode(into: &$1)
            return true
        }
    }
}

extension PostgresArrayDecodable where Self: PostgresDecodable & PostgresArrayElement {
    public static func decodePostgresArray(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws -> [Self] {
        guard type == postgresArrayType || type.isArrayOrUserDefined else {
            throw PostgresDecodingFailure.typeMismatch
        }
        return try PostgresArrayFormat.decode(bytes) { element, elementType, index in
            guard let element else {
                do {
                    return try Self.decodeNull(type: elementType)
                } catch PostgresDecodingFailure.unexpectedNull {
                    throw PostgresDecodingFailure.malformed(
                        "array element \(index + 1) is NULL; decode as [\(Self.self)?] to allow NULL elements")
                }
            }
            return try Self(postgresBytes: element, type: elementType)
        }
    }
}

/// `[Element]` is a PostgreSQL array of `Element` (and `[UInt8]` is `bytea`).
///
/// ```swift
/// try await db.execute("UPDATE posts SET tags = \(["swift", "postgres"]) WHERE id = \(id)")
/// let scores = try row.decode([Double?].self, column: "scores")
/// ```
extension Array: PostgresEncodable where Element: PostgresArrayEncodable {
    public static var postgresType: PostgresType { Element.postgresArrayType }

    public func encode(into buffer: inout [UInt8]) throws {
        try Element.encodePostgresArray(self, into: &buffer)
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayDecodable {
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        self = try Element.decodePostgresArray(from: bytes, type: type)
    }
}

/// `[T?]` holds NULL elements.
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { Wrapped.postgresArrayType }
    public static var postgresArrayElementType: PostgresType { Wrapped.postgresArrayElementType }
}

extension Optional: PostgresArrayEncodable where Wrapped: PostgresArrayElement & PostgresEncodable {
    public static func encodePostgresArray(_ elements: [Self], into buffer: inout [UInt8]) throws {
        try PostgresArrayFormat.encode(elements, elementType: postgresArrayElementType, into: &buffer) {
            guard let value = $0 else { return false }
            try value.encode(into: &$1)
            return true
        }
    }
}

extension Optional: PostgresArrayDecodable where Wrapped: PostgresArrayElement & PostgresDecodable {}

/// `[UInt8]` is `bytea`, not an array: `UInt8` only says how arrays of it are sent.
extension UInt8: PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .bytea }

    public static func encodePostgresArray(_ elements: [UInt8], into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: elements)
    }

    public static func decodePostgresArray(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws
        -> [UInt8]
    {
        guard type == .bytea else { throw PostgresDecodingFailure.typeMismatch }
        return [UInt8](bytes)
    }
}

// `[[UInt8]]` is `bytea[]`.
extension Array: PostgresArrayElement where Element == UInt8 {
    public static var postgresArrayType: PostgresType { .byteaArray }
}

extension Array: PostgresArrayEncodable, PostgresArrayDecodable where Element == UInt8 {}

// The built-in element types.
extension Bool: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .boolArray }
}

extension Int: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .int8Array }
}

extension Int64: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .int8Array }
}

extension Int32: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .int4Array }
}

extension Int16: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .int2Array }
}

extension UInt32: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .oidArray }
}

extension Float: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .float4Array }
}

extension Double: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .float8Array }
}

/// Inside arrays a `String` is binary `text` (its UTF-8 bytes), since array elements
/// cannot be left for the server to infer.
extension String: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .textArray }
    public static var postgresArrayElementType: PostgresType { .text }
}

extension Decimal: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .numericArray }
}

extension UUID: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .uuidArray }
}

extension Date: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .timestamptzArray }
}

/// The binary array format: `ndim`, has-NULL flag, element OID, then per dimension
/// its size and lower bound, then per element an Int32 length (-1 for NULL) and bytes.
enum PostgresArrayFormat {
    /// Writes a one-dimensional array; `encodeElement` returns false for NULL.
    static func encode<Element>(
        _ elements: [Element], elementType: PostgresType, into buffer: inout [UInt8],
        _ encodeElement: (Element, inout [UInt8]) throws -> Bool
    ) throws {
        guard let count = Int32(exactly: elements.count) else {
            throw PostgresError(code: .encoding, message: "an array of \(elements.count) elements is too long")
        }
        PostgresBinary.append(Int32(elements.isEmpty ? 0 : 1), to: &buffer)
        let flagsOffset = buffer.count
        PostgresBinary.append(Int32(0), to: &buffer)
        PostgresBinary.append(elementType.rawValue, to: &buffer)
        guard !elements.isEmpty else { return }
        PostgresBinary.append(count, to: &buffer)
        PostgresBinary.append(Int32(1), to: &buffer)
        var hasNull = false
        for element in elements {
            let lengthOffset = buffer.count
            PostgresBinary.append(Int32(-1), to: &buffer)
            if try encodeElement(element, &buffer) {
                let length = buffer.count - lengthOffset - 4
                guard let length32 = Int32(exactly: length) else {
                    throw PostgresError(code: .encoding, message: "an array element of \(length) bytes is too long")
                }
                PostgresBinary.store(length32, into: &buffer, at: lengthOffset)
            } else {
                hasNull = true
            }
        }
        if hasNull { PostgresBinary.store(1, into: &buffer, at: flagsOffset) }
    }

    /// Reads a one-dimensional (or empty) array; `decodeElement` gets nil for NULL,
    /// the element type from the header and the element's index from 0.
    static func decode<Element>(
        _ bytes: UnsafeRawBufferPointer,
        _ decodeElement: (UnsafeRawBufferPointer?, PostgresType, Int) throws -> Element
    ) throws -> [Element] {
        guard bytes.count >= 12 else {
            throw PostgresDecodingFailure.malformed("an array needs at least 12 bytes, got \(bytes.count)")
        }
        let dimensions = PostgresBinary.load(Int32.self, from: bytes)
        let elementType = PostgresType(PostgresBinary.load(UInt32.self, from: bytes, at: 8))
        if dimensions == 0 { return [] }
        guard dimensions == 1 else {
            throw PostgresDecodingFailure.malformed(
                dimensions > 1
                    ? "multi-dimensional arrays (\(dimensions) dimensions) are not supported; unnest them in SQL"
                    : "invalid array dimension count \(dimensions)")
        }
        guard bytes.count >= 20 else {
            throw PostgresDecodingFailure.malformed("a one-dimensional array needs at least 20 bytes")
        }
        let count = Int(PostgresBinary.load(Int32.self, from: bytes, at: 12))
        // Each element takes at least its 4-byte length: this bounds `count` before reserving.
        guard count >= 0, count <= (bytes.count - 20) / 4 else {
            throw PostgresDecodingFailure.malformed("invalid array length \(count)")
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        var offset = 20
        for index in 0..<count {
            guard offset + 4 <= bytes.count else {
                throw PostgresDecodingFailure.malformed("array ends before element \(index + 1)")
            }
            let length = Int(PostgresBinary.load(Int32.self, from: bytes, at: offset))
            offset += 4
            if length == -1 {
                elements.append(try decodeElement(nil, elementType, index))
                continue
            }
            guard length >= 0, offset + length <= bytes.count else {
                throw PostgresDecodingFailure.malformed("invalid length \(length) for array element \(index + 1)")
            }
            let element = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
            elements.append(try decodeElement(element, elementType, index))
            offset += length
        }
        guard offset == bytes.count else {
            throw PostgresDecodingFailure.malformed("\(bytes.count - offset) unexpected byte(s) after the array")
        }
        return elements
    }
}
