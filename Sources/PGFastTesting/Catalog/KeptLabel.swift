import Foundation

/// Which test a kept database came from: written into the database's comment
/// (`COMMENT ON DATABASE`) when it is kept, shown by `pgfast test-db list`.
public struct KeptLabel: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The test's id (its suite, name and arguments) or what kept the database.
    public var test: String
    /// Where the test is (`File.swift:12:5`), when known.
    public var source: String?
    /// When the database was kept.
    public var time: Date
    /// The run (owner id) that kept it.
    public var run: String

    static let commentPrefix = "pgfast kept "

    init(test: String, source: String?, time: Date = Date(), run: OwnerID) {
        self.test = test
        self.source = source
        self.time = time
        self.run = run.hex
    }

    /// The label a database comment holds; nil for any other comment.
    init?(comment: String?) {
        guard let comment, comment.hasPrefix(Self.commentPrefix),
            let label = try? Self.decoder.decode(
                KeptLabel.self, from: Data(comment.dropFirst(Self.commentPrefix.count).utf8))
        else { return nil }
        self = label
    }

    /// What goes into `COMMENT ON DATABASE`.
    var comment: String {
        let json = (try? Self.encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Self.commentPrefix + json
    }

    public var description: String {
        var text = test
        if let source { text += " at \(source)" }
        let time = ISO8601DateFormatter.string(
            from: time, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
        return text + ", \(time), run \(run)"
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// `text` as an SQL string literal, for statements that take no parameters (`COMMENT ON`).
func sqlLiteral(_ text: String) -> String {
    let quoted = "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    return text.contains("\\") ? "E" + quoted.replacingOccurrences(of: "\\", with: "\\\\") : quoted
}
