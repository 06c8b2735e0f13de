/// Every error the runtime throws: from the server (with its SQLSTATE and fields),
/// from the connection, the pool, or while encoding and decoding values.
///
/// Bind values are not part of ``description``: call
/// ``description(includingBindValues:)`` to see them. No password ever appears.
///
/// ```swift
/// do {
///     try await db.execute("INSERT INTO users (email) VALUES (\(email))")
/// } catch let error as PostgresError where error.sqlState == .uniqueViolation {
///     print(error.constraint ?? "")   // "users_email_key"
/// }
/// ```
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// What kind of failure this is; extensible without breaking `switch`-free matching.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case server, connectionFailed, connectionClosed, acquireTimeout, poolClosed
            case decoding, encoding, invalidConfiguration, noRows, queryCancelled, protocolViolation
        }
        let base: Base
        public var description: String { base.rawValue }

        /// The server answered with an error: see ``PostgresError/sqlState``.
        public static let server = Code(base: .server)
        /// A connection could not be opened.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The connection broke or was closed while in use.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// No pooled connection became free within `acquireTimeout`.
        public static let acquireTimeout = Code(base: .acquireTimeout)
        /// The pool was closed.
        public static let poolClosed = Code(base: .poolClosed)
        /// A column could not be read as the requested Swift type.
        public static let decoding = Code(base: .decoding)
        /// A value could not be encoded as a bind.
        public static let encoding = Code(base: .encoding)
        /// A configuration value (URL, option) is malformed.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// `value(_:)` found no row.
        public static let noRows = Code(base: .noRows)
        /// The query was cancelled (by task cancellation or a timeout).
        public static let queryCancelled = Code(base: .queryCancelled)
        /// libpq or the server did something PGFast did not expect.
        public static let protocolViolation = Code(base: .protocolViolation)
    }

    public var code: Code
    /// The server's SQLSTATE, for ``Code/server`` errors (and connection errors that carry one).
    public var sqlState: SQLState?
    /// The primary message.
    public var message: String
    public var severity: String?
    public var detail: String?
    public var hint: String?
    /// 1-based character position of the error in ``query``.
    public var position: Int?
    /// The call stack of the error inside functions (`CONTEXT` in psql).
    public var context: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var dataType: String?
    public var constraint: String?
    /// The SQL text that failed, as sent (with `$n` placeholders, templates rendered).
    public var query: String?
    /// The SQL file and line of the failing statement, when it came from a script file.
    public var sourceFile: String?
    public var sourceLine: Int?
    /// Where the statement was issued from in Swift code.
    public var file: String?
    public var line: Int?
    /// Bind values, kept out of ``description``: they may be secrets.
    var bindValues: [String]?
    /// The binds as the server would quote them back (their UTF-8 text), to hide where
    /// its message echoes one (`invalid input syntax for type integer: "…"`).
    var bindEchoes: [String?]?

    public init(code: Code, message: String, sqlState: SQLState? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { description(includingBindValues: false) }

    /// ``description`` with the severity and data type too; bind values stay hidden
    /// (``description(includingBindValues:)`` is the one way to see them).
    public var debugDescription: String {
        var text = description(includingBindValues: false)
        if let severity { text += "\nSEVERITY: \(severity)" }
        if let dataType { text += "\nDATA TYPE: \(dataType)" }
        return text
    }

    /// What `dump(error)` and `Mirror(reflecting:)` see: every public field, and only
    /// the number of bind values, never the values.
    public var customMirror: Mirror {
        var children: [(label: String?, value: Any)] = [
            ("code", code), ("sqlState", sqlState as Any), ("message", hidingEchoedBinds(message)),
        ]
        let optional: [(String, Any?)] = [
            ("severity", severity), ("detail", detail.map(hidingEchoedBinds)), ("hint", hint.map(hidingEchoedBinds)),
            ("position", position), ("context", context.map(hidingEchoedBinds)), ("schema", schema), ("table", table),
            ("column", column),
            ("dataType", dataType), ("constraint", constraint), ("query", query),
            ("sourceFile", sourceFile), ("sourceLine", sourceLine), ("file", file), ("line", line),
            ("hiddenBindValues", bindValues?.count),
        ]
        for (label, value) in optional { if let value { children.append((label, value)) } }
        return Mirror(self, children: children, displayStyle: .struct)
    }

    /// The full report; bind values only when asked for.
    public func description(includingBindValues: Bool) -> String {
        let shown = { (text: String) in includingBindValues ? text : hidingEchoedBinds(text) }
        var text = "PostgresError.\(code)"
        if let sqlState { text += " \(sqlState)" }
        if let sourceFile { text += " at \(sourceFile):\(sourceLine ?? 1)" }
        text += ": \(shown(message))"
        if let detail { text += "\nDETAIL: \(shown(detail))" }
        if let hint { text += "\nHINT: \(shown(hint))" }
        if let context { text += "\nCONTEXT: \(shown(context))" }
        var location: [String] = []
        if let schema { location.append("schema \(schema)") }
        if let table { location.append("table \(table)") }
        if let column { location.append("column \(column)") }
        if let constraint { location.append("constraint \(constraint)") }
        if !location.isEmpty { text += "\nON: " + location.joined(separator: ", ") }
        if let query {
            text += "\nQUERY: \(query)"
            if let position { text += "\nPOSITION: \(position)" }
        }
        if includingBindValues, let bindValues, !bindValues.isEmpty {
            text +=
                "\nBINDS: "
                + bindValues.enumerated().map { "$\($0.offset + 1) = \($0.element)" }
                .joined(separator: ", ")
        } else if let bindValues, !bindValues.isEmpty {
            text += "\nBINDS: \(bindValues.count) value(s) hidden"
        }
        if let file, let line { text += "\nAT: \(file):\(line)" }
        return text
    }
}

extension PostgresError {
    /// `text` with each bind value the server quoted back (`"value"`, `(value)`) shown as
    /// its `$n`: the error still says which parameter was wrong, not what it held.
    func hidingEchoedBinds(_ text: String) -> String {
        guard let bindEchoes else { return text }
        var result = text
        for (index, echo) in bindEchoes.enumerated() {
            guard let echo, !echo.isEmpty else { continue }
            result = result.replacingAll("\"\(echo)\"", with: "\"$\(index + 1)\"")
                .replacingAll("(\(echo))", with: "($\(index + 1))")
        }
        return result
    }

    static func decoding(_ message: String) -> PostgresError {
        PostgresError(code: .decoding, message: message)
    }

    static func decoding(
        _ failure: PostgresDecodingFailure, column: Column, index: Int, swiftType: Any.Type
    ) -> PostgresError {
        let name = "column \"\(column.name)\" (index \(index))"
        switch failure {
        case .typeMismatch:
            // Results arrive in binary: a type PGFast has no reader for is still one cast away.
            let hint = swiftType == String.self || swiftType == String?.self ? " (cast it in SQL: ::text)" : ""
            return .decoding(
                "cannot decode \(name) of PostgreSQL type \(column.type) as Swift type \(swiftType)\(hint)")
        case .unexpectedNull:
            return .decoding(
                "\(name) of PostgreSQL type \(column.type) is NULL, but Swift type \(swiftType) "
                    + "is not Optional")
        case .malformed(let reason):
            return .decoding(
                "cannot decode \(name) of PostgreSQL type \(column.type) as Swift type "
                    + "\(swiftType): \(reason)")
        }
    }
}
