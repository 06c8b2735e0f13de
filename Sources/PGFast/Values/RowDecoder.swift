import Foundation

/// How ``Row/decode(_:options:)`` matches a `Decodable` type's properties to columns.
///
/// ```swift
/// let users = try rows.decode(User.self, options: .convertFromSnakeCase)   // created_at -> createdAt
/// ```
public struct RowDecodingOptions: Sendable {
    /// How property names (coding keys) become column names.
    public enum KeyDecodingStrategy: Sendable {
        /// A property reads the column with exactly its name.
        case useDefaultKeys
        /// `created_at` fills `createdAt` (as `JSONDecoder`'s strategy of the same name);
        /// a column named exactly like the key still matches.
        case convertFromSnakeCase
        /// Maps a property name to its column name.
        case custom(@Sendable (String) -> String)
    }

    public var keyDecodingStrategy: KeyDecodingStrategy
    /// Decodes json and jsonb columns into nested `Decodable` properties; nil means
    /// ``PostgresJSONCoders/decoder``.
    public var jsonDecoder: JSONDecoder?

    /// ```swift
    /// let options = RowDecodingOptions(keyDecodingStrategy: .convertFromSnakeCase)
    /// ```
    public init(keyDecodingStrategy: KeyDecodingStrategy = .useDefaultKeys, jsonDecoder: JSONDecoder? = nil) {
        self.keyDecodingStrategy = keyDecodingStrategy
        self.jsonDecoder = jsonDecoder
    }

    /// Snake-case columns into camel-case properties.
    public static var convertFromSnakeCase: RowDecodingOptions {
        RowDecodingOptions(keyDecodingStrategy: .convertFromSnakeCase)
    }
}

extension Row {
    /// Decodes the row into a `Decodable` type, each property from the column of the same name.
    ///
    /// Properties whose type is ``PostgresDecodable`` read their column directly;
    /// other `Decodable` properties read json/jsonb columns through `JSONDecoder`,
    /// or a single value (a `String`-backed enum, say) from any other column.
    /// An optional property is `nil` for NULL or a missing column.
    ///
    /// ```swift
    /// struct User: Decodable { var id: Int; var email: String; var nickname: String? }
    /// let user = try row.decode(User.self)
    /// ```
    @_disfavoredOverload
    public func decode<T: Decodable>(_ type: T.Type, options: RowDecodingOptions = RowDecodingOptions()) throws -> T {
        let context = RowDecodingContext(result: result, options: options, rootType: T.self)
        return try T(from: RowDecoder(row: self, context: context))
    }
}

extension Rows {
    /// Decodes every row into a `Decodable` type by column name; see ``Row/decode(_:options:)``.
    ///
    /// ```swift
    /// let users: [User] = try await db.query("SELECT * FROM users").decode(User.self)
    /// ```
    @_disfavoredOverload
    public func decode<T: Decodable>(_ type: T.Type, options: RowDecodingOptions = RowDecodingOptions()) throws -> [T] {
        let context = RowDecodingContext(result: result, options: options, rootType: T.self)
        var values: [T] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            values.append(try T(from: RowDecoder(row: Row(result: result, index: index), context: context)))
        }
        return values
    }
}

/// What every row of one decode shares: the key-to-column lookup, built once.
final class RowDecodingContext {
    let result: QueryResult
    let options: RowDecodingOptions
    let rootType: Any.Type
    let jsonDecoder: JSONDecoder
    /// Camel-cased column names, for `.convertFromSnakeCase`.
    private let convertedIndex: [String: Int]

    init(result: QueryResult, options: RowDecodingOptions, rootType: Any.Type) {
        self.result = result
        self.options = options
        self.rootType = rootType
        jsonDecoder = options.jsonDecoder ?? PostgresJSONCoders.decoder
        if case .convertFromSnakeCase = options.keyDecodingStrategy {
            var index: [String: Int] = [:]
            for (position, column) in result.columns.enumerated().reversed() {
                index[Self.camelCase(column.name)] = position
            }
            convertedIndex = index
        } else {
            convertedIndex = [:]
        }
    }

    /// The column a coding key reads, or nil.
    @inline(__always)
    func column(for key: String) -> Int? {
        switch options.keyDecodingStrategy {
        case .useDefaultKeys: return result.index(ofColumn: key)
        case .convertFromSnakeCase: return convertedIndex[key] ?? result.index(ofColumn: key)
        case .custom(let transform): return result.index(ofColumn: transform(key))
        }
    }

    /// The key a column answers to, for `allKeys`.
    func key(forColumn name: String) -> String {
        if case .convertFromSnakeCase = options.keyDecodingStrategy { return Self.camelCase(name) }
        return name
    }

    func missingColumn(_ key: String) -> PostgresError {
        let columns = result.columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
        var wanted = key
        if case .custom(let transform) = options.keyDecodingStrategy { wanted = transform(key) }
        var message =
            "no column \"\(wanted)\" for property \(key) of \(rootType); the row has "
            + (columns.isEmpty ? "no columns" : "columns \(columns)")
        if case .useDefaultKeys = options.keyDecodingStrategy,
            let match = result.columns.first(where: { Self.camelCase($0.name) == key && $0.name != key })
        {
            message += " (decode with options: .convertFromSnakeCase to read \"\(match.name)\" as \(key))"
        }
        return .decoding(message)
    }

    /// `user_id` → `userId`, like `JSONDecoder.KeyDecodingStrategy.convertFromSnakeCase`:
    /// leading and trailing underscores are kept.
    static func camelCase(_ name: String) -> String {
        guard name.contains("_") else { return name }
        let leading = name.prefix { $0 == "_" }
        let rest = name.dropFirst(leading.count)
        let core = rest.dropLast(rest.reversed().prefix { $0 == "_" }.count)
        let trailing = rest.dropFirst(core.count)
        let parts = core.split(separator: "_")
        guard let first = parts.first else { return name }
        let tail = parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
        return String(leading) + String(first) + tail.joined() + String(trailing)
    }
}

extension Row {
    /// One column as any `Decodable`: directly when it is ``PostgresDecodable``, through
    /// JSON for json/jsonb columns, else through a single-value decoder.
    func decodeValue<T: Decodable>(_: T.Type, at column: Int, context: RowDecodingContext) throws -> T {
        if let decodable = T.self as? any PostgresDecodable.Type {
            func open<P: PostgresDecodable>(_: P.Type) throws -> T {
                try decode(P.self, at: column) as! T
            }
            return try open(decodable)
        }
        let info = result.columns[column]
        if info.type == .json || info.type == .jsonb {
            do {
                guard let bytes = result.bytes(row: index, column: column) else {
                    throw PostgresDecodingFailure.unexpectedNull
                }
                return try PostgresJSONBytes.decode(T.self, from: bytes, type: info.type, using: context.jsonDecoder)
            } catch let failure as PostgresDecodingFailure {
                throw PostgresError.decoding(failure, column: info, index: column, swiftType: T.self)
            }
        }
        do {
            return try T(from: ColumnDecoder(row: self, column: column, context: context, swiftType: T.self))
        } catch let error as DecodingError {
            throw PostgresError.decoding(
                .malformed(Self.describe(error)), column: info, index: column, swiftType: T.self)
        }
    }

    /// Integer types PostgreSQL has no column for (`UInt8`, `UInt64`…): read as int8 and range-checked.
    func decodeInteger<I: FixedWidthInteger>(_: I.Type, at column: Int) throws -> I {
        let info = result.columns[column]
        if I.self == UInt32.self, info.type != .int2, info.type != .int4, info.type != .int8 {
            return try decode(UInt32.self, at: column) as! I
        }
        let value = try decode(Int64.self, at: column)
        guard let exact = I(exactly: value) else {
            throw PostgresError.decoding(
                .malformed("\(value) is out of range for \(I.self)"), column: info, index: column, swiftType: I.self)
        }
        return exact
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
            .keyNotFound(_, let context):
            return context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

/// The `Decoder` for a whole row: keyed by column name, unkeyed by position, or a
/// single value from the first column.
struct RowDecoder: Decoder {
    let row: Row
    let context: RowDecodingContext

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowKeyedContainer<Key>(row: row, context: context))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        RowUnkeyedContainer(row: row, context: context)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard !row.columns.isEmpty else { throw PostgresError.decoding("the row has no columns") }
        return ColumnDecoder(row: row, column: 0, context: context, swiftType: context.rootType)
    }
}

struct RowKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: Row
    let context: RowDecodingContext

    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] {
        row.columns.compactMap { Key(stringValue: context.key(forColumn: $0.name)) }
    }

    func contains(_ key: Key) -> Bool { context.column(for: key.stringValue) != nil }

    @inline(__always)
    private func column(_ key: Key) throws -> Int {
        guard let column = context.column(for: key.stringValue) else {
            throw context.missingColumn(key.stringValue)
        }
        return column
    }

    func decodeNil(forKey key: Key) throws -> Bool { row.isNull(at: try column(key)) }

    func decode(_: Bool.Type, forKey key: Key) throws -> Bool { try row.decode(Bool.self, at: column(key)) }
    func decode(_: String.Type, forKey key: Key) throws -> String { try row.decode(String.self, at: column(key)) }
    func decode(_: Double.Type, forKey key: Key) throws -> Double { try row.decode(Double.self, at: column(key)) }
    func decode(_: Float.Type, forKey key: Key) throws -> Float { try row.decode(Float.self, at: column(key)) }
    func decode(_: Int.Type, forKey key: Key) throws -> Int { try row.decode(Int.self, at: column(key)) }
    func decode(_: Int8.Type, forKey key: Key) throws -> Int8 { try row.decodeInteger(Int8.self, at: column(key)) }
    func decode(_: Int16.Type, forKey key: Key) throws -> Int16 { try row.decode(Int16.self, at: column(key)) }
    func decode(_: Int32.Type, forKey key: Key) throws -> Int32 { try row.decode(Int32.self, at: column(key)) }
    func decode(_: Int64.Type, forKey key: Key) throws -> Int64 { try row.decode(Int64.self, at: column(key)) }
    func decode(_: UInt.Type, forKey key: Key) throws -> UInt { try row.decodeInteger(UInt.self, at: column(key)) }
    func decode(_: UInt8.Type, forKey key: Key) throws -> UInt8 { try row.decodeInteger(UInt8.self, at: column(key)) }
    func decode(_: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try row.decodeInteger(UInt16.self, at: column(key))
    }
    func decode(_: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try row.decodeInteger(UInt32.self, at: column(key))
    }
    func decode(_: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try row.decodeInteger(UInt64.self, at: column(key))
    }

    func decode<T: Decodable>(_: T.Type, forKey key: Key) throws -> T {
        try row.decodeValue(T.self, at: column(key), context: context)
    }

    // One lookup instead of the default contains + decodeNil + decode.
    func decodeIfPresent<T: Decodable>(_: T.Type, forKey key: Key) throws -> T? {
        guard let column = context.column(for: key.stringValue), !row.isNull(at: column) else { return nil }
        return try row.decodeValue(T.self, at: column, context: context)
    }

    func decodeIfPresent(_: String.Type, forKey key: Key) throws -> String? {
        guard let column = context.column(for: key.stringValue) else { return nil }
        return try row.decode(String?.self, at: column)
    }

    func decodeIfPresent(_: Int.Type, forKey key: Key) throws -> Int? {
        guard let column = context.column(for: key.stringValue) else { return nil }
        return try row.decode(Int?.self, at: column)
    }

    func decodeIfPresent(_: Bool.Type, forKey key: Key) throws -> Bool? {
        guard let column = context.column(for: key.stringValue) else { return nil }
        return try row.decode(Bool?.self, at: column)
    }

    func decodeIfPresent(_: Double.Type, forKey key: Key) throws -> Double? {
        guard let column = context.column(for: key.stringValue) else { return nil }
        return try row.decode(Double?.self, at: column)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try ColumnDecoder(row: row, column: column(key), context: context, swiftType: NestedKey.self)
            .container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ColumnDecoder(row: row, column: column(key), context: context, swiftType: [Any].self)
            .unkeyedContainer()
    }

    /// The same row: a subclass and its superclass read columns from one row.
    func superDecoder() throws -> any Decoder { RowDecoder(row: row, context: context) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ColumnDecoder(row: row, column: try column(key), context: context, swiftType: Any.self)
    }
}

/// Reads the columns in order, for types that decode themselves by position.
struct RowUnkeyedContainer: UnkeyedDecodingContainer {
    let row: Row
    let context: RowDecodingContext
    var currentIndex = 0

    init(row: Row, context: RowDecodingContext) {
        self.row = row
        self.context = context
    }

    var codingPath: [any CodingKey] { [] }
    var count: Int? { row.columns.count }
    var isAtEnd: Bool { currentIndex >= row.columns.count }

    private mutating func next() throws -> Int {
        guard !isAtEnd else {
            throw PostgresError.decoding(
                "\(context.rootType) reads more than the row's \(row.columns.count) column(s)")
        }
        defer { currentIndex += 1 }
        return currentIndex
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if row.isNull(at: currentIndex) {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_: T.Type) throws -> T {
        try row.decodeValue(T.self, at: next(), context: context)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try ColumnDecoder(row: row, column: next(), context: context, swiftType: NestedKey.self)
            .container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try ColumnDecoder(row: row, column: next(), context: context, swiftType: [Any].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        ColumnDecoder(row: row, column: try next(), context: context, swiftType: Any.self)
    }
}

/// The `Decoder` for one column, for `Decodable` types that are not ``PostgresDecodable``
/// but decode from a single value (a `String`- or `Int`-backed enum, a wrapper type).
struct ColumnDecoder: Decoder, SingleValueDecodingContainer {
    let row: Row
    let column: Int
    let context: RowDecodingContext
    let swiftType: Any.Type

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    private func notSingleValue() -> PostgresError {
        let info = row.columns[column]
        return .decoding(
            .malformed("only json and jsonb columns decode into keyed or unkeyed types"),
            column: info, index: column, swiftType: swiftType)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw notSingleValue()
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw notSingleValue() }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { row.isNull(at: column) }

    func decode(_: Bool.Type) throws -> Bool { try row.decode(Bool.self, at: column) }
    func decode(_: String.Type) throws -> String { try row.decode(String.self, at: column) }
    func decode(_: Double.Type) throws -> Double { try row.decode(Double.self, at: column) }
    func decode(_: Float.Type) throws -> Float { try row.decode(Float.self, at: column) }
    func decode(_: Int.Type) throws -> Int { try row.decode(Int.self, at: column) }
    func decode(_: Int8.Type) throws -> Int8 { try row.decodeInteger(Int8.self, at: column) }
    func decode(_: Int16.Type) throws -> Int16 { try row.decode(Int16.self, at: column) }
    func decode(_: Int32.Type) throws -> Int32 { try row.decode(Int32.self, at: column) }
    func decode(_: Int64.Type) throws -> Int64 { try row.decode(Int64.self, at: column) }
    func decode(_: UInt.Type) throws -> UInt { try row.decodeInteger(UInt.self, at: column) }
    func decode(_: UInt8.Type) throws -> UInt8 { try row.decodeInteger(UInt8.self, at: column) }
    func decode(_: UInt16.Type) throws -> UInt16 { try row.decodeInteger(UInt16.self, at: column) }
    func decode(_: UInt32.Type) throws -> UInt32 { try row.decodeInteger(UInt32.self, at: column) }
    func decode(_: UInt64.Type) throws -> UInt64 { try row.decodeInteger(UInt64.self, at: column) }

    func decode<T: Decodable>(_: T.Type) throws -> T {
        try row.decodeValue(T.self, at: column, context: context)
    }
}
