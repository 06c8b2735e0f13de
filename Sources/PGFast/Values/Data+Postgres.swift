import Foundation

/// `Data` is `bytea`.
///
/// ```swift
/// try await db.execute("UPDATE files SET body = \(data) WHERE id = \(id)")
/// let body: Data = try await db.value("SELECT body FROM files WHERE id = \(id)")
/// ```
extension Data: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bytea }

    public func encode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: self)
    }

    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        guard type == .bytea else { throw PostgresDecodingFailure.typeMismatch }
        self.init(bytes)
    }
}

extension Data: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .byteaArray }
}

extension Data: PostgresArrayEncodable, PostgresArrayDecodable {}
