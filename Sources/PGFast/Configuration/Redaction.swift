#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hides secrets in connection strings before anything prints them.
///
/// Every message, description and log line that shows a URL or conninfo string goes
/// through ``DatabaseConfig/redacted(_:)``: the password in a URL's user info, a
/// `password` (or `sslpassword`) query parameter or conninfo keyword, quoted or not.
/// Malformed input is hidden from the first secret keyword on, so a parse error can
/// never show the tail of a password. `passfile` is a path; its contents are never read
/// into a message.
enum Redaction {
    /// Keywords whose values are secrets.
    static let secretKeys: Set<String> = ["password", "sslpassword"]
    static let mask = "***"

    static func isSecret(_ key: some StringProtocol) -> Bool {
        secretKeys.contains(percentDecoded(key).lowercased())
    }

    /// `text` with every secret replaced by `***`.
    static func redact(_ text: String) -> String {
        redactCollecting(text).text
    }

    /// The redacted text and the pieces it hid, to scrub from other messages (libpq's
    /// parse errors quote the token they stumbled on).
    static func redactCollecting(_ text: String) -> (text: String, secrets: [String]) {
        var secrets: [String] = []
        let redacted =
            if let scheme = text.range(of: "://") {
                redactURL(text, schemeEnd: scheme.upperBound, secrets: &secrets)
            } else {
                redactConninfo(text, secrets: &secrets)
            }
        return (redacted, secrets.filter { !$0.isEmpty })
    }

    /// `message` with every quoted piece or substring that overlaps a secret of `input`
    /// replaced by `***`: for errors that quote what they could not parse.
    static func scrub(_ message: String, secretsOf input: String) -> String {
        let secrets = redactCollecting(input).secrets
        guard !secrets.isEmpty else { return message }
        var result = ""
        var rest = message[...]
        while let open = rest.firstIndex(of: "\""),
            let close = rest[rest.index(after: open)...].firstIndex(of: "\"")
        {
            let quoted = rest[rest.index(after: open)..<close]
            let overlaps = secrets.contains { quoted.contains($0) || $0.contains(quoted) }
            result += rest[...open] + (overlaps ? mask[...] : quoted) + "\""
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        for secret in secrets { result = result.replacingAll(secret, with: mask) }
        return result
    }

    /// `message` with the values of the secret keywords among `keywords` (and of
    /// `PGPASSWORD`) replaced by `***`: for libpq's connection errors.
    static func scrub(_ message: String, keywords: [(String, String)]) -> String {
        var secrets = keywords.filter { isSecret($0.0) }.map(\.1)
        if let variable = getenv("PGPASSWORD") { secrets.append(String(cString: variable)) }
        var result = message
        for secret in secrets where !secret.isEmpty { result = result.replacingAll(secret, with: mask) }
        return result
    }

    // MARK: URLs

    private static func redactURL(_ text: String, schemeEnd: String.Index, secrets: inout [String]) -> String {
        var result = String(text[..<schemeEnd])
        let rest = text[schemeEnd...]
        // libpq's user info ends at an `@` before the first `/`; take the last such `@`
        // so a password holding an unencoded `@` is hidden whole.
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var afterUserInfo = rest.startIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                secrets.append(String(userInfo[userInfo.index(after: colon)...]))
                result += userInfo[..<colon] + ":" + mask
            } else {
                result += userInfo
            }
            afterUserInfo = at
        }
        guard let queryStart = rest[afterUserInfo...].firstIndex(of: "?") else {
            return result + rest[afterUserInfo...]
        }
        result += rest[afterUserInfo..<queryStart] + "?"
        let pairs = rest[rest.index(after: queryStart)...].split(separator: "&", omittingEmptySubsequences: false)
        result += pairs.map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            guard isSecret(pair[..<equals]) else { return String(pair) }
            secrets.append(String(pair[pair.index(after: equals)...]))
            return pair[..<equals] + "=" + mask
        }.joined(separator: "&")
        return result
    }

    // MARK: conninfo (`key = value`, values optionally single-quoted with `\` escapes)

    private static func redactConninfo(_ text: String, secrets: inout [String]) -> String {
        let characters = Array(text)
        var result = ""
        var index = 0
        // What was shown up to the first secret: malformed text after one is hidden whole,
        // since its tail may be the rest of a password with a space in it.
        var shownBeforeSecret: String?
        func failing(at start: Int) -> String {
            let rest = String(characters[start...])
            if let shownBeforeSecret {
                secrets.append(rest)
                return shownBeforeSecret + " " + mask
            }
            let hidden = hidingFromSecretWord(rest)
            if hidden != rest { secrets.append(String(rest.suffix(rest.count - hidden.count + mask.count))) }
            return result + hidden
        }
        func skipSpaces() {
            while index < characters.count, characters[index].isWhitespace { index += 1 }
        }
        while true {
            let spacesStart = index
            skipSpaces()
            result += String(characters[spacesStart..<index])
            guard index < characters.count else { return result }
            let keyStart = index
            while index < characters.count, characters[index] != "=", !characters[index].isWhitespace { index += 1 }
            let key = String(characters[keyStart..<index])
            let equalsStart = index
            skipSpaces()
            guard index < characters.count, characters[index] == "=" else { return failing(at: keyStart) }
            index += 1
            skipSpaces()
            let separator = String(characters[equalsStart..<index])
            let valueStart = index
            if index < characters.count, characters[index] == "'" {
                index += 1
                var closed = false
                while index < characters.count {
                    if characters[index] == "\\" {
                        index += 2
                        continue
                    }
                    if characters[index] == "'" {
                        closed = true
                        index += 1
                        break
                    }
                    index += 1
                }
                guard closed else {
                    if isSecret(key) { shownBeforeSecret = shownBeforeSecret ?? result + key + separator + mask }
                    return failing(at: valueStart)
                }
            } else {
                while index < characters.count, !characters[index].isWhitespace {
                    index += characters[index] == "\\" ? 2 : 1
                }
            }
            index = min(index, characters.count)
            let value = String(characters[valueStart..<index])
            if isSecret(key) {
                secrets.append(value)
                if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 {
                    secrets.append(String(value.dropFirst().dropLast()))
                }
                result += key + separator + mask
                shownBeforeSecret = shownBeforeSecret ?? result
            } else {
                result += key + separator + value
            }
        }
    }

    /// `text` up to the first secret keyword, then `***`.
    private static func hidingFromSecretWord(_ text: String) -> String {
        let lowered = text.lowercased()
        let starts = secretKeys.compactMap { lowered.range(of: $0)?.lowerBound }
        guard let first = starts.min() else { return text }
        let offset = lowered.distance(from: lowered.startIndex, to: first)
        let cut = text.index(text.startIndex, offsetBy: offset)
        return String(text[..<cut]) + mask
    }

    /// `%xx` escapes decoded, so `pass%77ord` is still recognised as `password`.
    private static func percentDecoded(_ text: some StringProtocol) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
