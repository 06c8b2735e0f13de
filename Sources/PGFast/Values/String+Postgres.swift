/// `String` binds as untyped text (OID 0) so the server infers the parameter's type
/// from where it is used: the same `String` works against `text`, `uuid`, an enum,
/// `citext` or `date` columns. It reads every text-like type, plus `json`, `jsonb`,
/// `numeric` (its exact text), `uuid` (lowercase) and user-defined types whose binary form
/// is their text (enums, `citext`); others (`hstore`, composite rows) need a `::text` cast.
///
/// Text-format bytes are not NUL-terminated here; the connection adds the terminator
/// libpq needs. A string containing NUL cannot be sent (PostgreSQL text cannot hold
/// it, and libpq would silently cut it) and fails to encode.
///
/// ```swift
/// let email: String = try await db.value("SELECT email FROM users WHERE id = \(id)")
/// try await db.execute("UPDATE users SET status = \("active") WHERE id = \(id)")  // status is an enum
/// ```
extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .unspecified }
    public static var postgresFormat: PostgresFormat { .text }

    public func encode(into buffer: inout [UInt8]) throws {
        let start = buffer.count
        buffer.append(contentsOf: utf8)
        if buffer[start...].contains(0) {
            buffer.removeSubrange(start...)
            throw PostgresError(
                code: .encoding, message: "a string bound as a parameter cannot contain NUL (\\0) characters")
        }
    }

    @inline(__always)
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        switch type.rawValue {
        case PostgresType.text.rawValue, PostgresType.varchar.rawValue, PostgresType.bpchar.rawValue,
            PostgresType.name.rawValue, PostgresType.char.rawValue, PostgresType.unknown.rawValue,
            PostgresType.xml.rawValue, PostgresType.json.rawValue:
            self = String(decoding: bytes, as: UTF8.self)
        case PostgresType.jsonb.rawValue:
            self = String(decoding: try PostgresJSONBytes.jsonbPayload(bytes), as: UTF8.self)
        case PostgresType.numeric.rawValue:
            self = try PostgresNumeric(bytes).text
        case PostgresType.uuid.rawValue:
            try PostgresBinary.expect(16, bytes, type)
            self = PostgresBinary.uuidString(bytes)
        default:
            guard type.rawValue >= PostgresType.firstUserDefinedOID else {
                throw PostgresDecodingFailure.typeMismatch
            }
            // Enums and citext send their text; hstore, composite rows, PostGIS and pgvector send
            // binary structures, which hold NUL bytes (text never does) or are not UTF-8.
            guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
                throw PostgresDecodingFailure.typeMismatch
            }
            self = text
        }
    }
}
