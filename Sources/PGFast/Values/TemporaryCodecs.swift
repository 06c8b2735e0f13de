// Temporary until the value codecs land.
extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .unspecified }
    public static var postgresFormat: PostgresFormat { .text }
    public func encode(into buffer: inout [UInt8]) throws { buffer.append(contentsOf: utf8) }
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        self = String(decoding: bytes, as: UTF8.self)
    }
}
extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }
    public func encode(into buffer: inout [UInt8]) throws {
        withUnsafeBytes(of: Int64(self).bigEndian) { buffer.append(contentsOf: $0) }
    }
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        switch type {
        case .int8: self = Int(Int64(bigEndian: bytes.loadUnaligned(as: Int64.self)))
        case .int4: self = Int(Int32(bigEndian: bytes.loadUnaligned(as: Int32.self)))
        case .int2: self = Int(Int16(bigEndian: bytes.loadUnaligned(as: Int16.self)))
        default: throw PostgresDecodingFailure.typeMismatch
        }
    }
}
extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bool }
    public func encode(into buffer: inout [UInt8]) throws { buffer.append(self ? 1 : 0) }
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        guard type == .bool else { throw PostgresDecodingFailure.typeMismatch }
        self = bytes[0] != 0
    }
}
