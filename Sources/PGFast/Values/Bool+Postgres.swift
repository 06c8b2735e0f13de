/// `Bool` is `bool`: one byte, 0 or 1.
///
/// ```swift
/// let active: Bool = try await db.value("SELECT active FROM users WHERE id = \(id)")
/// ```
extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bool }

    public func encode(into buffer: inout [UInt8]) throws {
        buffer.append(self ? 1 : 0)
    }

    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        guard type == .bool else { throw PostgresDecodingFailure.typeMismatch }
        try PostgresBinary.expect(1, bytes, type)
        self = bytes[0] != 0
    }
}
