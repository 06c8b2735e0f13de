import CLibPQ

/// The parallel arrays `PQexecParams` wants, built from binds with one allocation
/// for all their bytes.
struct BindArrays {
    private var types: [Oid]
    private var lengths: [Int32]
    private var formats: [Int32]
    private var offsets: [Int]  // -1 for NULL
    private var storage: [UInt8]

    init(_ binds: [PostgresBind]) {
        types = []
        lengths = []
        formats = []
        offsets = []
        types.reserveCapacity(binds.count)
        lengths.reserveCapacity(binds.count)
        formats.reserveCapacity(binds.count)
        offsets.reserveCapacity(binds.count)
        var total = 1
        for bind in binds { total += (bind.bytes?.count ?? 0) + 1 }
        storage = []
        storage.reserveCapacity(total)
        for bind in binds {
            types.append(bind.type.rawValue)
            formats.append(bind.format.rawValue)
            if let bytes = bind.bytes {
                offsets.append(storage.count)
                lengths.append(Int32(bytes.count))
                storage.append(contentsOf: bytes)
                // Text-format values are read as C strings.
                if bind.format == .text { storage.append(0) }
            } else {
                offsets.append(-1)
                lengths.append(0)
            }
        }
        // Keeps the base address valid when every value is empty.
        storage.append(0)
    }

    func withPointers<R>(
        _ body: (
            UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
            UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        storage.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!)
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset < 0 ? nil : (base + offset).assumingMemoryBound(to: CChar.self)
            }
            return body(types, values, lengths, formats)
        }
    }
}

extension PostgresBind {
    /// The value as text for error reports that ask for bind values.
    var debugText: String {
        guard let bytes else { return "NULL" }
        if format == .text { return "'" + String(decoding: bytes, as: UTF8.self) + "'" }
        return "\(type) 0x" + bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
