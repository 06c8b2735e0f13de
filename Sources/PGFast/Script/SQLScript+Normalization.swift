extension SQLScript {
    /// Drops a leading UTF-8 byte order mark and turns CRLF and lone CR into LF.
    ///
    /// Shared by splitting and migration checksums, so a file checked out with other
    /// line-ending settings splits the same way and keeps its checksum.
    static func normalizedBytes(_ bytes: [UInt8]) -> [UInt8] {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        guard bytes[start...].contains(UInt8(ascii: "\r")) else { return Array(bytes[start...]) }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count - start)
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") {
                result.append(UInt8(ascii: "\n"))
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
            } else {
                result.append(byte)
            }
            index += 1
        }
        return result
    }
}
