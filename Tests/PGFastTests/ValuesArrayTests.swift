import Foundation
import Testing

@testable import PGFast

// Expected bytes from PostgreSQL 15's `array_send(…)`.
@Suite struct ValuesArrayTests {
    @Test func arraysMatchServerBytes() throws {
        #expect([Int].postgresType == .int8Array)
        #expect(
            try encodeHex([1, 2, nil, 4] as [Int?])
                == "\\x0000000100000001000000140000000400000001000000080000000000000001000000080000000000000002"
                + "ffffffff000000080000000000000004")
        #expect(try encodeHex([Int32]()) == "\\x000000000000000000000017")
        #expect(
            try encodeHex(["a", "", nil, "é"] as [String?])
                == "\\x0000000100000001000000190000000400000001000000016100000000ffffffff00000002c3a9")
        #expect(try encodeHex([true, false]) == "\\x000000010000000000000010000000020000000100000001010000000100")
        #expect(try encodeHex([Int16(1), -2]) == "\\x000000010000000000000015000000020000000100000002000100000002fffe")
        #expect(
            try encodeHex([Int32(1), -2])
                == "\\x0000000100000000000000170000000200000001000000040000000100000004fffffffe")
        #expect(try encodeHex([Float(1.5)]) == "\\x0000000100000000000002bc0000000100000001000000043fc00000")
        #expect(
            try encodeHex([1.5, nil] as [Double?])
                == "\\x0000000100000001000002bd0000000200000001000000083ff8000000000000ffffffff")
        #expect(
            try encodeHex([Decimal(string: "1.5"), Decimal(string: "-0.01"), nil])
                == "\\x0000000100000001000006a400000003000000010000000c0002000000000001000113880000000a0001ffff"
                + "400000020064ffffffff")
        #expect(
            try encodeHex([UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")!])
                == "\\x000000010000000000000b86000000010000000100000010a0eebc999c0b4ef8bb6d6bb9bd380a11")
        #expect(
            try encodeHex([Date(timeIntervalSince1970: 946_684_800)])
                == "\\x0000000100000000000004a00000000100000001000000080000000000000000")
        #expect(
            try encodeHex([[UInt8]([1, 2]), []]) == "\\x000000010000000000000011000000020000000100000002010200000000")
        #expect(
            try encodeHex([Data([1, 2]), Data()]) == "\\x000000010000000000000011000000020000000100000002010200000000")
    }

    @Test func arrayBindTypes() throws {
        #expect([String].postgresType == .textArray)
        #expect([String?].postgresType == .textArray)
        #expect([[UInt8]].postgresType == .byteaArray)
        #expect([UInt8].postgresType == .bytea)
        #expect([Date].postgresType == .timestamptzArray)
        #expect([UUID].postgresType == .uuidArray)
        #expect([Decimal].postgresType == .numericArray)
        #expect([PostgresJSON<[Int]>].postgresType == .jsonbArray)
        #expect([Int16].postgresType == .int2Array && [Int32].postgresType == .int4Array)
        #expect([Int64].postgresType == .int8Array && [Float].postgresType == .float4Array)
        #expect([Double].postgresType == .float8Array && [Bool].postgresType == .boolArray)
        let bind = try ["x"].makeBind()
        #expect(bind.type == .textArray && bind.format == .binary)
        #expect(throws: PostgresError.self) { try encodeHex(["a\u{0}"]) }
    }

    @Test func arraysDecodeServerBytes() throws {
        let int8s =
            "\\x0000000100000001000000140000000400000001000000080000000000000001000000080000000000000002"
            + "ffffffff000000080000000000000004"
        #expect(try decodeHex([Int?].self, int8s, .int8Array) == [1, 2, nil, 4])
        #expect(
            throws: PostgresDecodingFailure.malformed(
                "array element 3 is NULL; decode as [Int?] to allow NULL elements")
        ) {
            try decodeHex([Int].self, int8s, .int8Array)
        }
        #expect(try decodeHex([Int].self, "\\x000000000000000000000017", .int4Array) == [])
        #expect(try decodeHex([String?].self, "\\x000000000000000000000017", .int4Array) == [])
        #expect(
            try decodeHex(
                [String?].self, "\\x0000000100000001000000190000000400000001000000016100000000ffffffff00000002c3a9",
                .textArray)
                == ["a", "", nil, "é"])
        #expect(
            try decodeHex(
                [Int].self, "\\x0000000100000000000000170000000200000001000000040000000100000004fffffffe", .int4Array)
                == [1, -2])
        #expect(
            try decodeHex(
                [Int32].self, "\\x000000010000000000000015000000020000000100000002000100000002fffe", .int2Array) == [
                    1, -2,
                ])
        #expect(
            try decodeHex([Bool].self, "\\x000000010000000000000010000000020000000100000001010000000100", .boolArray)
                == [true, false])
        #expect(
            try decodeHex([Float].self, "\\x0000000100000000000002bc0000000100000001000000043fc00000", .float4Array)
                == [1.5])
        #expect(
            try decodeHex(
                [Decimal?].self,
                "\\x0000000100000001000006a400000003000000010000000c0002000000000001000113880000000a0001ffff400000020064ffffffff",
                .numericArray)
                == [Decimal(string: "1.5"), Decimal(string: "-0.01"), nil])
        #expect(
            try decodeHex(
                [UUID].self, "\\x000000010000000000000b86000000010000000100000010a0eebc999c0b4ef8bb6d6bb9bd380a11",
                .uuidArray)
                == [UUID(uuidString: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")!])
        #expect(
            try decodeHex(
                [Date].self, "\\x0000000100000000000004a00000000100000001000000080000000000000000", .timestamptzArray)
                == [Date(timeIntervalSince1970: 946_684_800)])
        #expect(
            try decodeHex(
                [[UInt8]].self, "\\x000000010000000000000011000000020000000100000002010200000000", .byteaArray)
                == [[1, 2], []])
        #expect(
            try decodeHex(
                [PostgresJSON<[String: Int]>].self,
                "\\x000000010000000000000eda000000010000000100000009017b2261223a20317d", .jsonbArray)
                == [PostgresJSON(["a": 1])])
        #expect(
            try decodeHex([String].self, "\\x00000001000000000000041300000001000000010000000178", .varcharArray) == [
                "x"
            ])
        // A lower bound other than 1 ('[0:1]={1,2}') still reads the elements.
        #expect(
            try decodeHex(
                [Int].self, "\\x000000010000000000000017000000020000000000000004000000010000000400000002", .int4Array)
                == [1, 2])
    }

    @Test func arrayErrors() throws {
        let twoD =
            "\\x000000020000000000000017000000020000000100000002000000010000000400000001000000040000000200000004000000030000000400000004"
        #expect(
            throws: PostgresDecodingFailure.malformed(
                "multi-dimensional arrays (2 dimensions) are not supported; unnest them in SQL")
        ) {
            try decodeHex([Int].self, twoD, .int4Array)
        }
        #expect(throws: PostgresDecodingFailure.typeMismatch) {
            try decodeHex(
                [String].self, "\\x0000000100000000000000170000000200000001000000040000000100000004fffffffe", .int4Array
            )
        }
        #expect(throws: PostgresDecodingFailure.typeMismatch) {
            try decodeHex([Int].self, "\\x0000000000000001", .int8)
        }
        #expect(throws: PostgresDecodingFailure.self) {
            try decodeHex([Int].self, "\\x00000001000000000000001400000002", .int8Array)
        }
        #expect(throws: PostgresDecodingFailure.self) {
            try decodeHex(
                [Int].self, "\\x000000010000000000000014000000020000000100000008000000000000000100000008", .int8Array)
        }
        #expect(throws: PostgresDecodingFailure.self) {
            try decodeHex(
                [Int].self, "\\x00000001000000000000001400000001000000010000000800000000000000010000", .int8Array)
        }
        #expect(throws: PostgresDecodingFailure.self) {
            try decodeHex([Int].self, "\\x0000000100000000000000147fffffff00000001", .int8Array)
        }
    }

    @Test func arraysRoundTrip() throws {
        #expect(try roundTrip([Int.min, 0, Int.max]) == [Int.min, 0, Int.max])
        #expect(try roundTrip([String]()) == [])
        #expect(try roundTrip([String?]()) == [])
        #expect(try roundTrip(["", "ünï", "a,b", "{\"}"], as: .textArray) == ["", "ünï", "a,b", "{\"}"])
        #expect(try roundTrip([nil, nil] as [Int?]) == [nil, nil])
        #expect(try roundTrip([Date.distantPast, .distantFuture]) == [.distantPast, .distantFuture])
        #expect(try roundTrip([Double.nan]).first!.isNaN)
        #expect(try roundTrip([Decimal.nan, 1]).first!.isNaN)
        #expect(try roundTrip([[UInt8](), [0, 255]]) == [[], [0, 255]])
        #expect(try roundTrip([UInt32.max]) == [.max])
        #expect(try roundTrip([PostgresJSON(["k": [1, 2]])]) == [PostgresJSON(["k": [1, 2]])])
    }
}
