/// Big-endian helpers shared by the binary encoders and decoders.
///
/// A namespace rather than extensions on the standard types, so nothing here can
/// clash with helpers elsewhere in the module.
enum PostgresBinary {
    /// Reads a big-endian integer at `offset`; the caller has checked the length.
    @inline(__always)
    static func load<T: FixedWidthInteger>(_: T.Type, from bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Appends `value` in big-endian order.
    @inline(__always)
    static func append<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    /// Overwrites 4 bytes at `offset` with a big-endian Int32 (array element lengths).
    @inline(__always)
    static func store(_ value: Int32, into buffer: inout [UInt8], at offset: Int) {
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Int32.self) }
    }

    /// Throws ``PostgresDecodingFailure/malformed(_:)`` unless `bytes` has exactly `count` bytes.
    @inline(__always)
    static func expect(_ count: Int, _ bytes: UnsafeRawBufferPointer, _ type: PostgresType) throws {
        guard bytes.count == count else {
            throw PostgresDecodingFailure.malformed(
                "expected \(count) byte\(count == 1 ? "" : "s") for \(type), got \(bytes.count)")
        }
    }

    /// Reads an int2, int4 or int8 column as Int64; nil for any other type.
    @inline(__always)
    static func integer(_ bytes: UnsafeRawBufferPointer, _ type: PostgresType) throws -> Int64? {
        switch type.rawValue {
        case PostgresType.int8.rawValue:
            try expect(8, bytes, type)
            return load(Int64.self, from: bytes)
        case PostgresType.int4.rawValue:
            try expect(4, bytes, type)
            return Int64(load(Int32.self, from: bytes))
        case PostgresType.int2.rawValue:
            try expect(2, bytes, type)
            return Int64(load(Int16.self, from: bytes))
        default:
            return nil
        }
    }

    /// Types whose binary form is UTF-8 text: text, varchar, bpchar, name, "char", unknown,
    /// and user-defined types (enums and citext send their label).
    @inline(__always)
    static func isTextLike(_ type: PostgresType) -> Bool {
        switch type.rawValue {
        case PostgresType.text.rawValue, PostgresType.varchar.rawValue, PostgresType.bpchar.rawValue,
            PostgresType.name.rawValue, PostgresType.char.rawValue, PostgresType.unknown.rawValue:
            return true
        default:
            return type.rawValue >= PostgresType.firstUserDefinedOID
        }
    }

    /// The canonical lowercase text of 16 uuid bytes: `a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`.
    static func uuidString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            let hex: StaticString = "0123456789abcdef"
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let byte = bytes[index]
                out[position] = hex.utf8Start[Int(byte >> 4)]
                out[position + 1] = hex.utf8Start[Int(byte & 0x0F)]
                position += 2
            }
            return 36
        }
    }
}
