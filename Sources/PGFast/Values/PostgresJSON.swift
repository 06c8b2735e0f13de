import Foundation
import Synchronization

/// Any `Codable` value as `jsonb` (and read back from `json`, `jsonb` or text).
///
/// The wrapper makes the JSON round trip explicit at the call site, so a struct is
/// never turned into JSON by accident. Dates inside are ISO-8601 strings (with
/// fractional seconds when present), which is also how PostgreSQL writes them.
///
/// ```swift
/// struct Preferences: Codable, Sendable { var theme: String; var updatedAt: Date }
/// try await db.execute("UPDATE users SET prefs = \(PostgresJSON(prefs)) WHERE id = \(id)")
/// let stored = try row.decode(PostgresJSON<Preferences>.self, column: "prefs").value
/// ```
public struct PostgresJSON<Value: Codable & Sendable>: PostgresEncodable, PostgresDecodable {
    /// The wrapped value.
    public var value: Value

    /// Wraps a value to be sent as `jsonb`.
    public init(_ value: Value) {
        self.value = value
    }

    public static var postgresType: PostgresType { .jsonb }

    public func encode(into buffer: inout [UInt8]) throws {
        let json: Data
        do {
            json = try PostgresJSONCoders.encoder.encode(value)
        } catch {
            throw PostgresError(code: .encoding, message: "cannot encode \(Value.self) as JSON: \(error)")
        }
        buffer.reserveCapacity(buffer.count + 1 + json.count)
        buffer.append(PostgresJSONBytes.jsonbVersion)
        buffer.append(contentsOf: json)
    }

    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        value = try PostgresJSONBytes.decode(Value.self, from: bytes, type: type, using: PostgresJSONCoders.decoder)
    }
}

extension PostgresJSON: Equatable where Value: Equatable {}
extension PostgresJSON: Hashable where Value: Hashable {}

/// Transparent: a `PostgresJSON` property in a `Codable` type is coded as its value,
/// so it can sit in a struct decoded with ``Row/decode(_:options:)``.
extension PostgresJSON: Codable {
    public init(from decoder: any Decoder) throws {
        value = try Value(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}

extension PostgresJSON: PostgresArrayElement, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var postgresArrayType: PostgresType { .jsonbArray }
}

/// The coders behind every ``PostgresJSON`` and every json column decoded into a
/// nested `Decodable` property. Set them once at startup to change key or date
/// strategies; the defaults write and read ISO-8601 dates.
///
/// ```swift
/// let encoder = PostgresJSONCoders.makeDefaultEncoder()
/// encoder.keyEncodingStrategy = .convertToSnakeCase
/// PostgresJSONCoders.encoder = encoder
/// ```
public enum PostgresJSONCoders {
    private static let coders = Mutex<(encoder: JSONEncoder, decoder: JSONDecoder)>(
        (makeDefaultEncoder(), makeDefaultDecoder()))

    /// The encoder used for binds.
    public static var encoder: JSONEncoder {
        get { coders.withLock { $0.encoder } }
        set { coders.withLock { $0.encoder = newValue } }
    }

    /// The decoder used for columns.
    public static var decoder: JSONDecoder {
        get { coders.withLock { $0.decoder } }
        set { coders.withLock { $0.decoder = newValue } }
    }

    /// A new encoder writing dates as ISO-8601 UTC strings (`2024-03-01T12:34:56.789Z`).
    ///
    /// ```swift
    /// let encoder = PostgresJSONCoders.makeDefaultEncoder()
    /// ```
    public static func makeDefaultEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Text.string(from: date))
        }
        return encoder
    }

    /// A new decoder reading ISO-8601 dates, with or without fractional seconds and
    /// offsets, as PostgreSQL's `to_json` writes them.
    ///
    /// ```swift
    /// let decoder = PostgresJSONCoders.makeDefaultDecoder()
    /// ```
    public static func makeDefaultDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601Text.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "\"\(text)\" is not an ISO-8601 date")
            }
            return date
        }
        return decoder
    }
}

/// Reading JSON out of json, jsonb and text columns.
enum PostgresJSONBytes {
    /// The only jsonb binary format version so far.
    static let jsonbVersion: UInt8 = 1

    /// The JSON text of a jsonb value: its bytes after the version byte.
    static func jsonbPayload(_ bytes: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        guard let version = bytes.first else {
            throw PostgresDecodingFailure.malformed("empty jsonb value")
        }
        guard version == jsonbVersion else {
            throw PostgresDecodingFailure.malformed("unsupported jsonb format version \(version)")
        }
        return UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    }

    /// The JSON text of a json, jsonb or text-like column.
    static func payload(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws -> UnsafeRawBufferPointer {
        switch type {
        case .jsonb: return try jsonbPayload(bytes)
        case .json, .text, .varchar, .bpchar, .unknown: return bytes
        default: throw PostgresDecodingFailure.typeMismatch
        }
    }

    static func decode<T: Decodable>(
        _: T.Type, from bytes: UnsafeRawBufferPointer, type: PostgresType, using decoder: JSONDecoder
    ) throws -> T {
        let json = try payload(bytes, type: type)
        do {
            return try decoder.decode(T.self, from: Data(json))
        } catch {
            throw PostgresDecodingFailure.malformed("invalid JSON for \(T.self): \(error)")
        }
    }
}
