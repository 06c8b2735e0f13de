import Foundation
import Testing

@testable import PGFast

@Suite struct ValuesRowDecoderTests {
    enum Status: String, Decodable { case active, banned }

    struct Address: Codable, Sendable, Equatable {
        var city: String
    }

    struct User: Decodable, Equatable {
        var id: Int
        var email: String
        var nickname: String?
        var status: Status
        var address: Address
        var scores: [Double]
        var createdAt: Date
        var prefs: PostgresJSON<[String: Int]>
    }

    static let userColumns: [(String, PostgresType)] = [
        ("id", .int4), ("email", .text), ("nickname", .varchar), ("status", PostgresType(16_390)),
        ("address", .jsonb), ("scores", .float8Array), ("createdAt", .timestamptz), ("prefs", .json),
    ]

    static func userRow(id: Int32, nickname: String?) -> [[UInt8]?] {
        var idBytes: [UInt8] = []
        PostgresBinary.append(id, to: &idBytes)
        var scores: [UInt8] = []
        try! [1.5, 2.0].encode(into: &scores)
        var created: [UInt8] = []
        try! Date(timeIntervalSince1970: 0).encode(into: &created)
        return [
            idBytes, Array("u\(id)@example.com".utf8), nickname.map { Array($0.utf8) }, Array("active".utf8),
            [1] + Array(#"{"city":"Oslo"}"#.utf8), scores, created, Array(#"{"a":1}"#.utf8),
        ]
    }

    @Test func decodesDecodableByColumnName() throws {
        let rows = ValuesFixture.rows(
            columns: Self.userColumns, rows: [Self.userRow(id: 1, nickname: nil), Self.userRow(id: 2, nickname: "Bo")])
        let users = try rows.decode(User.self)
        #expect(users.count == 2)
        #expect(
            users[0]
                == User(
                    id: 1, email: "u1@example.com", nickname: nil, status: .active, address: Address(city: "Oslo"),
                    scores: [1.5, 2], createdAt: Date(timeIntervalSince1970: 0), prefs: PostgresJSON(["a": 1])))
        #expect(users[1].nickname == "Bo")
        #expect(try rows[1].decode(User.self).id == 2)
    }

    @Test func overloadsPickTheRightDecode() throws {
        let rows = ValuesFixture.rows(
            columns: [("id", .int8), ("name", .text)], rows: [[hexBytes("0000000000000007"), Array("x".utf8)]])
        let row = rows[0]
        let id = try row.decode(Int.self)  // the pack version, by position
        #expect(id == 7)
        let pair = try row.decode((Int, String).self)
        #expect(pair.0 == 7 && pair.1 == "x")
        let optional = try row.decode(String?.self, column: "name")
        #expect(optional == "x")
        struct Named: Decodable {
            var name: String
            var id: Int
        }
        let named = try row.decode(Named.self)  // the Decodable version, by name
        #expect(named.name == "x" && named.id == 7)
        let ids: [Int] = try rows.decode(Int.self)
        #expect(ids == [7])
        let all: [Named] = try rows.decode(Named.self)
        #expect(all.map(\.id) == [7])
        let tuples = try rows.decode((Int, String).self)
        #expect(tuples.map(\.1) == ["x"])

        // A type that is both: the positional (pack) overload wins unless options are passed.
        struct Probe: PostgresDecodable, Decodable {
            var via: String
            init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws { via = "pack" }
            init(from decoder: any Decoder) throws { via = "decodable" }
        }
        #expect(try row.decode(Probe.self).via == "pack")
        #expect(try rows.decode(Probe.self).map(\.via) == ["pack"])
        #expect(try row.decode(Probe.self, options: RowDecodingOptions()).via == "decodable")
        #expect(try rows.decode(Probe.self, options: RowDecodingOptions()).map(\.via) == ["decodable"])
        #expect(type(of: id) == Int.self)
    }

    @Test func snakeCaseAndCustomKeys() throws {
        struct Item: Decodable {
            var itemId: Int
            var createdAt: Date?
            var _private: Bool
            var plain: String
        }
        let rows = ValuesFixture.rows(
            columns: [("item_id", .int8), ("created_at", .timestamptz), ("_private", .bool), ("plain", .text)],
            rows: [[hexBytes("0000000000000003"), nil, [1], Array("p".utf8)]])
        let item = try rows[0].decode(Item.self, options: .convertFromSnakeCase)
        #expect(item.itemId == 3 && item.createdAt == nil && item._private && item.plain == "p")

        struct Upper: Decodable { var id: Int }
        let upper = ValuesFixture.rows(columns: [("ID", .int8)], rows: [[hexBytes("0000000000000009")]])
        let options = RowDecodingOptions(keyDecodingStrategy: .custom { $0.uppercased() })
        #expect(try upper[0].decode(Upper.self, options: options).id == 9)
        #expect(RowDecodingContext.camelCase("user_id") == "userId")
        #expect(RowDecodingContext.camelCase("_user_ID_") == "_userId_")
        #expect(RowDecodingContext.camelCase("url") == "url")
    }

    @Test func missingColumnNamesTheColumnAndListsTheRow() throws {
        struct Item: Decodable { var itemId: Int }
        let rows = ValuesFixture.rows(
            columns: [("item_id", .int8), ("name", .text)], rows: [[hexBytes("0000000000000003"), nil]])
        let error = try #require(throws: PostgresError.self) { try rows[0].decode(Item.self) }
        #expect(error.code == .decoding)
        #expect(error.message.contains("no column \"itemId\""))
        #expect(error.message.contains("\"item_id\", \"name\""))
        #expect(error.message.contains(".convertFromSnakeCase"))
    }

    @Test func missingOptionalColumnIsNil() throws {
        struct Item: Decodable {
            var id: Int
            var note: String?
            var score: Double?
            var tags: [String]?
        }
        let rows = ValuesFixture.rows(columns: [("id", .int8)], rows: [[hexBytes("0000000000000003")]])
        let item = try rows[0].decode(Item.self)
        #expect(item.id == 3 && item.note == nil && item.score == nil && item.tags == nil)
    }

    @Test func typeMismatchNamesColumnAndBothTypes() throws {
        struct Item: Decodable {
            var id: Int
            var name: Int32
        }
        let rows = ValuesFixture.rows(
            columns: [("id", .int8), ("name", .text)], rows: [[hexBytes("0000000000000003"), [0x61]]])
        let error = try #require(throws: PostgresError.self) { try rows[0].decode(Item.self) }
        #expect(error.code == .decoding)
        #expect(error.message == "cannot decode column \"name\" (index 1) of PostgreSQL type text as Swift type Int32")

        struct Narrow: Decodable { var id: Int32 }
        let narrow = try #require(throws: PostgresError.self) { try rows[0].decode(Narrow.self) }
        #expect(narrow.message.contains("int8") && narrow.message.contains("Int32"))

        struct NullID: Decodable { var id: Int }
        let nullRows = ValuesFixture.rows(columns: [("id", .int8)], rows: [[nil]])
        let null = try #require(throws: PostgresError.self) { try nullRows[0].decode(NullID.self) }
        #expect(null.message.contains("is NULL"))

        struct BadEnum: Decodable { var status: Status }
        let enumRows = ValuesFixture.rows(columns: [("status", .text)], rows: [[Array("gone".utf8)]])
        let badEnum = try #require(throws: PostgresError.self) { try enumRows[0].decode(BadEnum.self) }
        #expect(badEnum.message.contains("column \"status\"") && badEnum.message.contains("gone"))

        struct Nested: Decodable { var address: Address }
        let nestedRows = ValuesFixture.rows(columns: [("address", .text)], rows: [[Array("Oslo".utf8)]])
        let nested = try #require(throws: PostgresError.self) { try nestedRows[0].decode(Nested.self) }
        #expect(nested.message.contains("json"))

        struct BadJSON: Decodable { var address: Address }
        let badJSONRows = ValuesFixture.rows(columns: [("address", .jsonb)], rows: [[[1] + Array("{}".utf8)]])
        let badJSON = try #require(throws: PostgresError.self) { try badJSONRows[0].decode(BadJSON.self) }
        #expect(badJSON.message.contains("invalid JSON"))
    }

    @Test func smallIntegersAndSingleValues() throws {
        struct Small: Decodable {
            var a: UInt8
            var b: Int8?
            var c: UInt64
            var d: UInt32
        }
        let rows = ValuesFixture.rows(
            columns: [("a", .int2), ("b", .int4), ("c", .int8), ("d", .oid)],
            rows: [[hexBytes("00ff"), nil, hexBytes("0000000000000005"), hexBytes("ffffffff")]])
        let small = try rows[0].decode(Small.self)
        #expect(small.a == 255 && small.b == nil && small.c == 5 && small.d == .max)
        let tooBig = ValuesFixture.rows(
            columns: [("a", .int2), ("b", .int4), ("c", .int8), ("d", .oid)],
            rows: [[hexBytes("0100"), nil, hexBytes("0000000000000005"), hexBytes("00000001")]])
        #expect(throws: PostgresError.self) { try tooBig[0].decode(Small.self) }

        // A Decodable (not PostgresDecodable) top-level value reads the first column.
        let statuses = ValuesFixture.rows(
            columns: [("status", .text)], rows: [[Array("banned".utf8)], [Array("active".utf8)]])
        #expect(try statuses.decode(Status.self) == [.banned, .active])
    }

    @Test func unkeyedDecodingReadsByPosition() throws {
        struct Pair: Decodable {
            var first: Int
            var second: String?
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                first = try container.decode(Int.self)
                second = try container.decodeNil() ? nil : try container.decode(String.self)
            }
        }
        let rows = ValuesFixture.rows(columns: [("x", .int4), ("y", .text)], rows: [[hexBytes("00000002"), nil]])
        let pair = try rows[0].decode(Pair.self)
        #expect(pair.first == 2 && pair.second == nil)
    }
}
