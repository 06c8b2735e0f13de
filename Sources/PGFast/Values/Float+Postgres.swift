/// `Double` is `float8`; it also reads `float4` (exactly) and `numeric` (rounded to the
/// nearest `Double`, which is what a float column user expects; use `Decimal` to keep every digit).
///
/// ```swift
/// let price: Double = try await db.value("SELECT avg(price) FROM items")
/// ```
extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .float8 }

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(bitPattern, to: &buffer)
    }

    @inline(__always)
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        switch type {
        case .float8:
            try PostgresBinary.expect(8, bytes, type)
            self = Double(bitPattern: PostgresBinary.load(UInt64.self, from: bytes))
        case .float4:
            try PostgresBinary.expect(4, bytes, type)
            self = Double(Float(bitPattern: PostgresBinary.load(UInt32.self, from: bytes)))
        case .numeric:
            self = try PostgresNumeric(bytes).doubleValue
        default:
            throw PostgresDecodingFailure.typeMismatch
        }
    }
}

/// `Float` is `float4`, and reads only `float4`: a `float8` would silently lose precision.
///
/// ```swift
/// let ratio = try row.decode(Float.self, column: "ratio")
/// ```
extension Float: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .float4 }

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(bitPattern, to: &buffer)
    }

    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        guard type == .float4 else { throw PostgresDecodingFailure.typeMismatch }
        try PostgresBinary.expect(4, bytes, type)
        self = Float(bitPattern: PostgresBinary.load(UInt32.self, from: bytes))
    }
}
