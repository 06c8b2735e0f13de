/// SQL text with its bind values, built by string interpolation.
///
/// Every interpolated value becomes a `$n` bind, so it is always data, never
/// SQL. Names go through `\(identifier:)`; raw text only through the clearly
/// named `\(unsafeRaw:)`. Query methods take `SQL`, never `String`, so a string
/// built by concatenation cannot reach the server by accident.
///
/// ```swift
/// let email = "a@example.com"
/// let sql: SQL = "SELECT id FROM \(identifier: "users") WHERE email = \(email)"
/// sql.text        // SELECT id FROM "users" WHERE email = $1
/// sql.binds.count // 1
/// ```
public struct SQL: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Fragment: Sendable, Hashable {
        case text(String)
        case bind(PostgresBind)
    }

    var fragments: [Fragment]
    /// The first error met while encoding an interpolated value; thrown when the statement runs.
    var encodingError: String?

    public init(stringLiteral value: String) {
        fragments = value.isEmpty ? [] : [.text(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        fragments = stringInterpolation.fragments
        encodingError = stringInterpolation.encodingError
    }

    /// Raw SQL text with no binds. The name is loud on purpose: never pass user input.
    ///
    /// ```swift
    /// let sql = SQL(unsafeRaw: try String(contentsOfFile: "query.sql", encoding: .utf8))
    /// ```
    public init(unsafeRaw text: String) {
        fragments = text.isEmpty ? [] : [.text(text)]
    }

    /// The text sent to the server, with `$1`, `$2`… in place of the values.
    public var text: String {
        var text = ""
        var number = 0
        for fragment in fragments {
            switch fragment {
            case .text(let piece): text += piece
            case .bind:
                number += 1
                text += "$\(number)"
            }
        }
        return text
    }

    /// The bind values, in `$n` order.
    public var binds: [PostgresBind] {
        fragments.compactMap {
            if case .bind(let bind) = $0 { return bind }
            return nil
        }
    }

    /// The text; bind values are left out (they may be secrets).
    public var description: String { text }

    /// Appends another fragment, renumbering its binds.
    ///
    /// ```swift
    /// var sql: SQL = "SELECT * FROM users WHERE true"
    /// if let minID { sql.append(" AND id > \(minID)") }
    /// ```
    public mutating func append(_ other: SQL) {
        fragments += other.fragments
        if encodingError == nil { encodingError = other.encodingError }
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.append(rhs)
        return result
    }

    /// Joins fragments with a separator: `SQL.joined(columns, separator: ", ")`.
    public static func joined(_ parts: [SQL], separator: String) -> SQL {
        var result: SQL = ""
        for (index, part) in parts.enumerated() {
            if index > 0 { result.fragments.append(.text(separator)) }
            result.append(part)
        }
        return result
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var fragments: [Fragment] = []
        var encodingError: String?

        public init(literalCapacity: Int, interpolationCount: Int) {
            fragments.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            guard !literal.isEmpty else { return }
            fragments.append(.text(literal))
        }

        /// A value, sent as a `$n` bind.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            do {
                fragments.append(.bind(try value.makeBind()))
            } catch {
                if encodingError == nil {
                    let reason = (error as? PostgresError)?.message ?? "\(error)"
                    encodingError = "cannot encode a value of type \(Value.self): \(reason)"
                }
                fragments.append(.bind(.null()))
            }
        }

        /// A name (table, column, schema), double-quoted with embedded quotes doubled.
        public mutating func appendInterpolation(identifier name: String) {
            fragments.append(.text(SQL.quoteIdentifier(name)))
        }

        /// A qualified name such as `schema.table`, each part quoted.
        public mutating func appendInterpolation(identifier parts: [String]) {
            fragments.append(.text(parts.map(SQL.quoteIdentifier).joined(separator: ".")))
        }

        /// A string as a quoted SQL literal, for the few places that take no binds
        /// (`CREATE DATABASE … OWNER`, `SET`, DDL defaults).
        public mutating func appendInterpolation(literal value: String) {
            fragments.append(.text(SQL.quoteLiteral(value)))
        }

        /// Another fragment, binds renumbered.
        public mutating func appendInterpolation(_ sql: SQL) {
            fragments += sql.fragments
            if encodingError == nil { encodingError = sql.encodingError }
        }

        /// Raw text, pasted as is. Never pass user input.
        public mutating func appendInterpolation(unsafeRaw text: String) {
            appendLiteral(text)
        }
    }
}

extension SQL {
    /// `name` as a double-quoted identifier: `my "table"` becomes `"my ""table"""`.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }

    /// `value` as a single-quoted literal, quotes doubled (standard_conforming_strings on).
    public static func quoteLiteral(_ value: String) -> String {
        if value.contains("\\") {
            return "E'" + value.replacingAll("\\", with: "\\\\").replacingAll("'", with: "''") + "'"
        }
        return "'" + value.replacingAll("'", with: "''") + "'"
    }
}

extension String {
    /// Plain substring replacement without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension SQL {
    /// Throws the error a bind value that could not be encoded left behind, naming the
    /// statement; and ``NULByte``'s error for text that cannot be sent whole.
    /// The protocol's limit: a Bind message counts its parameters in 16 bits.
    static let maximumBindCount = 65_535

    func throwIfUnencodable(file: String, line: Int) throws {
        for case .text(let piece) in fragments where piece.utf8.contains(0) {
            try NULByte.check(text, file: file, line: line)
        }
        let bindCount = fragments.reduce(0) { count, fragment in
            if case .bind = fragment { return count + 1 }
            return count
        }
        var problem = encodingError
        if problem == nil, bindCount > SQL.maximumBindCount {
            // libpq refuses to send it and says so as if the connection had failed.
            problem =
                "a statement takes at most \(SQL.maximumBindCount) bind parameters; this one has \(bindCount) "
                + "(bind an array instead: = ANY(\\(values)), or send several statements)"
        }
        guard let problem else { return }
        var error = PostgresError(code: .encoding, message: problem)
        error.query = text
        error.file = file
        error.line = line
        throw error
    }
}
