// Integers bind with their exact PostgreSQL width and decode from any narrower
// integer column (an `int4` column reads fine as `Int`). Narrowing is a type
// mismatch rather than a runtime range check, so a schema change that widens a
// column fails loudly in tests instead of overflowing in production.

/// `Int` is `int8` (PGFast assumes a 64-bit platform); it also reads `int2`, `int4` and `oid`.
///
/// ```swift
/// let id: Int = try await db.value("INSERT INTO users (email) VALUES (\(email)) RETURNING id")
/// ```
extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(Int64(self), to: &buffer)
    }

    @inline(__always)
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        if let value = try PostgresBinary.integer(bytes, type) {
            self = Int(value)
        } else if type == .oid {
            self = Int(try UInt32(postgresBytes: bytes, type: type))
        } else {
            throw PostgresDecodingFailure.typeMismatch
        }
    }
}

/// `Int64` is `int8`; it also reads `int2`, `int4` and `oid`.
///
/// ```swift
/// let total = try row.decode(Int64.self, column: "total")
/// ```
extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(self, to: &buffer)
    }

    @inline(__always)
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        if let value = try PostgresBinary.integer(bytes, type) {
            self = value
        } else if type == .oid {
            self = Int64(try UInt32(postgresBytes: bytes, type: type))
        } else {
            throw PostgresDecodingFailure.typeMismatch
        }
    }
}

/// `Int32` is `int4`; it also reads `int2`.
///
/// ```swift
/// let quantity = try row.decode(Int32.self, column: "quantity")
/// ```
extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int4 }

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(self, to: &buffer)
    }

    @inline(__always)
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        switch type {
        case .int4:
            try PostgresBinary.expect(4, bytes, type)
            self = PostgresBinary.load(Int32.self, from: bytes)
        case .int2:
            try PostgresBinary.expect(2, bytes, type)
            self = Int32(PostgresBinary.load(Int16.self, from: bytes))
        default:
            throw PostgresDecodingFailure.typeMismatch
        }
    }
}

/// `Int16` is `int2`.
///
/// ```swift
/// let rank = try row.decode(Int16.self, column: "rank")
/// ```
extension Int16: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int2 }

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(self, to: &buffer)
    }

    @inline(__always)
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        guard type == .int2 else { throw PostgresDecodingFailure.typeMismatch }
        try PostgresBinary.expect(2, bytes, type)
        self = PostgresBinary.load(Int16.self, from: bytes)
    }
}

/// `UInt32` is `oid`, the unsigned 4-byte type of catalog identifiers; it also reads
/// `regclass`, `regtype`, `regproc` and `xid`, which share its binary form.
///
/// ```swift
/// let tableOID: UInt32 = try await db.value("SELECT 'users'::regclass::oid")
/// ```
extension UInt32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .oid }

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(self, to: &buffer)
    }

    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        switch type {
        case .oid, .regclass, .regtype, .regproc, .xid:
            try PostgresBinary.expect(4, bytes, type)
            self = PostgresBinary.load(UInt32.self, from: bytes)
        default:
            throw PostgresDecodingFailure.typeMismatch
        }
    }
}
