import Foundation
import Testing

@testable import PGFast

@Suite struct ValuesJSONTests {
    struct Preferences: Codable, Sendable, Equatable {
        var theme: String
        var updatedAt: Date
        var tags: [String]
        var limit: Int?
    }

    @Test func encodesJSONB() throws {
        #expect(PostgresJSON<[Int]>.postgresType == .jsonb)
        // jsonb_send('{"a":1}') = \x01 + the text.
        #expect(try encodeHex(PostgresJSON(["a": 1])) == "\\x017b2261223a317d")
        let bind = try PostgresJSON([1, 2]).makeBind()
        #expect(bind.type == .jsonb && bind.format == .binary && bind.bytes == [1] + Array("[1,2]".utf8))
    }

    @Test func decodesJSONAndJSONB() throws {
        // jsonb_send('{"a": [1, true, null, "x"]}')
        let jsonb = "\\x017b2261223a205b312c20747275652c206e756c6c2c202278225d7d"
        let value = try decodeHex(PostgresJSON<[String: [JSONValue]]>.self, jsonb, .jsonb).value
        #expect(value == ["a": [.number(1), .bool(true), .null, .string("x")]])
        #expect(try decodeHex(PostgresJSON<[String: Int]>.self, "\\x7b2261223a317d", .json).value == ["a": 1])
        #expect(try decodeHex(PostgresJSON<[String: Int]>.self, "\\x7b2261223a317d", .text).value == ["a": 1])
        #expect(throws: PostgresDecodingFailure.typeMismatch) { try decodeHex(PostgresJSON<Int>.self, "\\x01", .int8) }
        #expect(throws: PostgresDecodingFailure.self) { try decodeHex(PostgresJSON<[Int]>.self, "\\x017b7d", .jsonb) }
    }

    @Test func roundTripsDatesAsISO8601() throws {
        let prefs = Preferences(
            theme: "dark", updatedAt: Date(timeIntervalSince1970: 1_709_296_496.789012), tags: ["a", "ü"], limit: nil)
        var buffer: [UInt8] = []
        try PostgresJSON(prefs).encode(into: &buffer)
        let text = String(decoding: buffer.dropFirst(), as: UTF8.self)
        #expect(text.contains(#""updatedAt":"2024-03-01T12:34:56.789012Z""#))
        #expect(try roundTrip(PostgresJSON(prefs)).value == prefs)
        // What to_jsonb(now()) writes.
        let fromServer = #"{"theme":"x","updatedAt":"2024-03-01T13:34:56.789012+01:00","tags":[]}"#
        let decoded = try decodeHex(
            PostgresJSON<Preferences>.self, hexString([1] + Array(fromServer.utf8)), .jsonb
        ).value
        #expect(decoded.updatedAt == prefs.updatedAt)
    }

    @Test func iso8601Text() {
        let cases: [(String, TimeInterval)] = [
            ("2024-03-01T12:34:56Z", 1_709_296_496),
            ("2024-03-01T12:34:56.5Z", 1_709_296_496.5),
            ("2024-03-01 12:34:56+00", 1_709_296_496),
            ("2024-03-01T14:34:56+0200", 1_709_296_496),
            ("2024-03-01T07:04:56-05:30", 1_709_296_496),
            ("2024-03-01T12:34:56", 1_709_296_496),
            ("2024-03-01", 1_709_251_200),
            ("1969-12-31T23:59:59.999999Z", -0.000001),
            ("2000-02-29T00:00:00Z", 951_782_400),
        ]
        for (text, seconds) in cases {
            let date = ISO8601Text.date(from: text)
            #expect(date.map { abs($0.timeIntervalSince1970 - seconds) < 1e-7 } == true, "\(text)")
        }
        for bad in ["", "2024", "2024-13-01", "2024-03-01T", "2024-03-01T12:34:56X", "2024-03-01T12:34:56.Z"] {
            #expect(ISO8601Text.date(from: bad) == nil, "\(bad)")
        }
        #expect(ISO8601Text.string(from: Date(timeIntervalSince1970: 1_709_296_496)) == "2024-03-01T12:34:56Z")
        #expect(ISO8601Text.string(from: Date(timeIntervalSince1970: 1_709_296_496.25)) == "2024-03-01T12:34:56.25Z")
        #expect(ISO8601Text.string(from: Date(timeIntervalSince1970: -0.000001)) == "1969-12-31T23:59:59.999999Z")
        for day in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let civil = ISO8601Text.civil(daysSince1970: day)
            #expect(ISO8601Text.days(year: civil.year, month: civil.month, day: civil.day) == day)
        }
    }

    /// Swapping the shared coders; the replacements behave like the defaults so tests
    /// running in parallel are not disturbed.
    @Test func codersAreConfigurable() throws {
        let encoder = PostgresJSONCoders.makeDefaultEncoder()
        let decoder = PostgresJSONCoders.makeDefaultDecoder()
        PostgresJSONCoders.encoder = encoder
        PostgresJSONCoders.decoder = decoder
        #expect(PostgresJSONCoders.encoder === encoder)
        #expect(PostgresJSONCoders.decoder === decoder)
        #expect(
            try roundTrip(PostgresJSON([Date(timeIntervalSince1970: 1.5)])).value == [Date(timeIntervalSince1970: 1.5)])
    }
}

/// Any JSON value, for checking decoded structure.
enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
