import CLibPQ
import Foundation
import Testing

@testable import PGFast

/// Builds real libpq results in memory, so rows decode exactly as they will from the server.
enum ValuesFixture {
    static func rows(columns: [(String, PostgresType)], rows: [[[UInt8]?]]) -> Rows {
        let result = PQmakeEmptyPGresult(nil, PGRES_TUPLES_OK)!
        let names = columns.map { strdup($0.0)! }
        defer { for name in names { free(name) } }
        var attributes = columns.enumerated().map { index, column in
            PGresAttDesc(
                name: names[index], tableid: 0, columnid: 0, format: 1, typid: column.1.rawValue, typlen: -1,
                atttypmod: -1)
        }
        precondition(PQsetResultAttrs(result, Int32(columns.count), &attributes) == 1)
        for (rowIndex, row) in rows.enumerated() {
            for (column, value) in row.enumerated() {
                if var value {
                    let ok = value.withUnsafeMutableBytes { buffer in
                        PQsetvalue(
                            result, Int32(rowIndex), Int32(column),
                            buffer.baseAddress?.assumingMemoryBound(to: CChar.self) ?? strdup(""), Int32(buffer.count))
                    }
                    precondition(ok == 1)
                } else {
                    precondition(PQsetvalue(result, Int32(rowIndex), Int32(column), nil, -1) == 1)
                }
            }
        }
        return Rows(result: QueryResult(taking: result))
    }

    /// One row of one column.
    static func row(_ type: PostgresType, _ bytes: [UInt8]?, name: String = "value") -> Row {
        rows(columns: [(name, type)], rows: [[bytes]])[0]
    }
}

/// `"\\x0102"` (psql's bytea output) or `"0102"` to bytes.
func hexBytes(_ text: String) -> [UInt8] {
    var hex = Substring(text)
    if hex.hasPrefix("\\x") { hex = hex.dropFirst(2) }
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
    "\\x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// Decodes server bytes given as hex.
func decodeHex<T: PostgresDecodable>(_: T.Type, _ hex: String, _ type: PostgresType) throws -> T {
    try hexBytes(hex).withUnsafeBytes { try T(postgresBytes: $0, type: type) }
}

/// Encodes a value and returns psql-style hex.
func encodeHex<T: PostgresEncodable>(_ value: T) throws -> String {
    var buffer: [UInt8] = []
    try value.encode(into: &buffer)
    return hexString(buffer)
}

/// Encodes then decodes with the type's own OID.
func roundTrip<T: PostgresEncodable & PostgresDecodable>(_ value: T, as type: PostgresType? = nil) throws -> T {
    var buffer: [UInt8] = []
    try value.encode(into: &buffer)
    return try buffer.withUnsafeBytes { try T(postgresBytes: $0, type: type ?? T.postgresType) }
}
