import Foundation

/// `UUID` is `uuid` (16 bytes). It also reads a uuid held in a text column.
///
/// ```swift
/// let id = UUID()
/// try await db.execute("INSERT INTO sessions (id) VALUES (\(id))")
/// let same: UUID = try await db.value("SELECT id FROM sessions LIMIT 1")
/// ```
extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .uuid }

    public func encode(into buffer: inout [UInt8]) throws {
        withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
    }

    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        switch type {
        case .uuid:
            try PostgresBinary.expect(16, bytes, type)
            var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: bytes) }
            self.init(uuid: value)
        case .text, .varchar, .bpchar, .name, .unknown:
            let text = String(decoding: bytes, as: UTF8.self)
            guard let value = UUID(uuidString: text.trimmingCharacters(in: .whitespaces)) else {
                throw PostgresDecodingFailure.malformed("\"\(text)\" is not a UUID")
            }
            self = value
        default:
            throw PostgresDecodingFailure.typeMismatch
        }
    }
}
