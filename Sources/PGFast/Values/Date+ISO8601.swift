import Foundation

/// ISO-8601 text for dates inside JSON, without Foundation's formatters: fast, and
/// lenient enough to read what PostgreSQL writes (`to_jsonb(now())` gives
/// `2024-03-01T12:34:56.789012+00:00`).
enum ISO8601Text {
    /// `2024-03-01T12:34:56Z`, with up to six fraction digits when there are any.
    static func string(from date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let perDay = Date.microsecondsPerDay
        let days = micros >= 0 ? micros / perDay : (micros - perDay + 1) / perDay
        var rest = micros - days * perDay
        let (year, month, day) = civil(daysSince1970: days)
        let hour = rest / 3_600_000_000
        rest -= hour * 3_600_000_000
        let minute = rest / 60_000_000
        rest -= minute * 60_000_000
        let second = rest / 1_000_000
        var fraction = rest - second * 1_000_000

        var out = ""
        out.reserveCapacity(32)
        func pad(_ value: Int64, _ width: Int) {
            let digits = String(value)
            if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
            out += digits
        }
        if year < 0 { out += "-" }
        pad(abs(year), 4)
        out += "-"
        pad(month, 2)
        out += "-"
        pad(day, 2)
        out += "T"
        pad(hour, 2)
        out += ":"
        pad(minute, 2)
        out += ":"
        pad(second, 2)
        if fraction > 0 {
            var width = 6
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            out += "."
            pad(fraction, width)
        }
        out += "Z"
        return out
    }

    /// Reads `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]`
    /// and `Z`, `±HH`, `±HHMM` or `±HH:MM`. No offset means UTC. Nil when malformed.
    static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        var position = 0
        func number(_ width: Int) -> Int64? {
            guard position + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[position..<position + width] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            position += width
            return value
        }
        func skip(_ ascii: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == ascii else { return false }
            position += 1
            return true
        }
        let negativeYear = skip(UInt8(ascii: "-"))
        guard let rawYear = number(4), skip(UInt8(ascii: "-")), let month = number(2), (1...12).contains(month),
            skip(UInt8(ascii: "-")), let day = number(2), (1...31).contains(day)
        else { return nil }
        let year = negativeYear ? -rawYear : rawYear
        var micros = days(year: year, month: month, day: day) * Date.microsecondsPerDay
        if position == bytes.count { return Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

        guard skip(UInt8(ascii: "T")) || skip(UInt8(ascii: "t")) || skip(UInt8(ascii: " ")),
            let hour = number(2), hour <= 24, skip(UInt8(ascii: ":")), let minute = number(2), minute < 60
        else { return nil }
        micros += (hour * 60 + minute) * 60_000_000
        if skip(UInt8(ascii: ":")) {
            guard let second = number(2), second <= 60 else { return nil }
            micros += second * 1_000_000
            if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
                var scale: Int64 = 100_000
                var digits = 0
                while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 {
                    micros += Int64(bytes[position] - 48) * scale
                    scale /= 10
                    digits += 1
                    position += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        if position < bytes.count {
            if skip(UInt8(ascii: "Z")) || skip(UInt8(ascii: "z")) {
            } else {
                let sign: Int64
                if skip(UInt8(ascii: "+")) {
                    sign = 1
                } else if skip(UInt8(ascii: "-")) {
                    sign = -1
                } else {
                    return nil
                }
                guard let offsetHours = number(2) else { return nil }
                var offsetMinutes: Int64 = 0
                if position < bytes.count {
                    _ = skip(UInt8(ascii: ":"))
                    guard let value = number(2) else { return nil }
                    offsetMinutes = value
                }
                micros -= sign * (offsetHours * 60 + offsetMinutes) * 60_000_000
            }
        }
        guard position == bytes.count else { return nil }
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day count since 1970-01-01.
    static func civil(daysSince1970 count: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
