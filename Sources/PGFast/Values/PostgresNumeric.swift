/// The binary form of `numeric`, read and written without Foundation.
///
/// Layout (all big-endian): `ndigits` Int16, `weight` Int16 (of the first base-10000
/// digit), `sign` UInt16 (0x0000 +, 0x4000 −, 0xC000 NaN, 0xD000 +Infinity, 0xF000
/// −Infinity), `dscale` UInt16 (digits after the point in the text form), then
/// `ndigits` base-10000 digits. Leading and trailing zero digits are stripped.
struct PostgresNumeric: Equatable {
    enum Sign: UInt16 {
        case positive = 0x0000
        case negative = 0x4000
        case nan = 0xC000
        case infinity = 0xD000
        case negativeInfinity = 0xF000
    }

    var sign: Sign
    var weight: Int16
    var scale: UInt16
    var digits: [UInt16]

    init(sign: Sign, weight: Int16, scale: UInt16, digits: [UInt16]) {
        self.sign = sign
        self.weight = weight
        self.scale = scale
        self.digits = digits
    }

    /// Parses the server's bytes, checking every length and digit.
    init(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= 8 else {
            throw PostgresDecodingFailure.malformed("numeric needs at least 8 bytes, got \(bytes.count)")
        }
        let count = Int(PostgresBinary.load(Int16.self, from: bytes))
        guard count >= 0, bytes.count == 8 + 2 * count else {
            throw PostgresDecodingFailure.malformed("numeric with \(count) digit(s) cannot be \(bytes.count) bytes")
        }
        let rawSign = PostgresBinary.load(UInt16.self, from: bytes, at: 4)
        guard let sign = Sign(rawValue: rawSign) else {
            throw PostgresDecodingFailure.malformed("invalid numeric sign 0x\(String(rawSign, radix: 16))")
        }
        self.sign = sign
        weight = PostgresBinary.load(Int16.self, from: bytes, at: 2)
        scale = PostgresBinary.load(UInt16.self, from: bytes, at: 6)
        var digits: [UInt16] = []
        digits.reserveCapacity(count)
        for index in 0..<count {
            let digit = PostgresBinary.load(UInt16.self, from: bytes, at: 8 + 2 * index)
            guard digit < 10_000 else {
                throw PostgresDecodingFailure.malformed("invalid numeric digit \(digit)")
            }
            digits.append(digit)
        }
        self.digits = digits
    }

    /// Parses plain decimal text: an optional `-` or `+`, digits, an optional `.` and
    /// digits; also `NaN`, `Infinity` and `-Infinity`. Nil for anything else.
    init?(text: some StringProtocol) {
        switch text {
        case "NaN":
            self.init(sign: .nan, weight: 0, scale: 0, digits: [])
            return
        case "Infinity", "+Infinity":
            self.init(sign: .infinity, weight: 0, scale: 0, digits: [])
            return
        case "-Infinity":
            self.init(sign: .negativeInfinity, weight: 0, scale: 0, digits: [])
            return
        default:
            break
        }
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        let point = utf8.firstIndex(of: UInt8(ascii: "."))
        let rawIntegerPart = utf8[..<(point ?? utf8.endIndex)]
        let integerPart = rawIntegerPart.drop { $0 == UInt8(ascii: "0") }
        let fractionPart = point.map { utf8[utf8.index(after: $0)...] } ?? utf8[utf8.endIndex...]
        guard rawIntegerPart.count + fractionPart.count > 0,
            integerPart.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
            fractionPart.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
            fractionPart.count <= Int(Int16.max)
        else { return nil }

        // Group the decimal digits in fours, aligned on the decimal point.
        var groups: [UInt16] = []
        groups.reserveCapacity((integerPart.count + 3) / 4 + (fractionPart.count + 3) / 4)
        var group: UInt16 = 0
        var filled = (4 - integerPart.count % 4) % 4
        func push(_ byte: UInt8) {
            group = group * 10 + UInt16(byte - UInt8(ascii: "0"))
            filled += 1
            if filled == 4 {
                groups.append(group)
                group = 0
                filled = 0
            }
        }
        integerPart.forEach(push)
        let integerGroups = groups.count
        fractionPart.forEach(push)
        if filled > 0 {
            for _ in filled..<4 { group *= 10 }
            groups.append(group)
        }
        var weight = integerGroups - 1
        let leadingZeros = groups.prefix { $0 == 0 }.count
        weight -= leadingZeros
        var digits = Array(groups.dropFirst(leadingZeros))
        while digits.last == 0 { digits.removeLast() }
        guard weight <= Int(Int16.max) else { return nil }
        if digits.isEmpty {
            self.init(sign: .positive, weight: 0, scale: UInt16(fractionPart.count), digits: [])
        } else {
            self.init(
                sign: negative ? .negative : .positive, weight: Int16(weight),
                scale: UInt16(fractionPart.count), digits: digits)
        }
    }

    /// Appends the binary form.
    func encode(into buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + 8 + 2 * digits.count)
        PostgresBinary.append(Int16(digits.count), to: &buffer)
        PostgresBinary.append(weight, to: &buffer)
        PostgresBinary.append(sign.rawValue, to: &buffer)
        PostgresBinary.append(scale, to: &buffer)
        for digit in digits { PostgresBinary.append(digit, to: &buffer) }
    }

    /// The exact text PostgreSQL prints: `-12.3400`, `0.0001`, `NaN`, `Infinity`.
    var text: String {
        switch sign {
        case .nan: return "NaN"
        case .infinity: return "Infinity"
        case .negativeInfinity: return "-Infinity"
        case .positive, .negative: break
        }
        var out: [UInt8] = []
        out.reserveCapacity(4 * (max(Int(weight), 0) + 1) + Int(scale) + 2)
        if sign == .negative { out.append(UInt8(ascii: "-")) }
        func digit(_ index: Int) -> UInt16 {
            index >= 0 && index < digits.count ? digits[index] : 0
        }
        func appendFour(_ value: UInt16) {
            out.append(UInt8(ascii: "0") + UInt8(value / 1000))
            out.append(UInt8(ascii: "0") + UInt8(value / 100 % 10))
            out.append(UInt8(ascii: "0") + UInt8(value / 10 % 10))
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
        }
        if weight < 0 {
            out.append(UInt8(ascii: "0"))
        } else {
            // The first group without leading zeros, the others padded to four digits.
            let first = digit(0)
            var started = false
            for divisor: UInt16 in [1000, 100, 10, 1] {
                let d = first / divisor % 10
                if d != 0 || started || divisor == 1 {
                    out.append(UInt8(ascii: "0") + UInt8(d))
                    started = true
                }
            }
            if weight > 0 {
                for index in 1...Int(weight) { appendFour(digit(index)) }
            }
        }
        if scale > 0 {
            out.append(UInt8(ascii: "."))
            var remaining = Int(scale)
            var index = Int(weight) + 1
            while remaining > 0 {
                let value = digit(index)
                let four: [UInt16] = [value / 1000, value / 100 % 10, value / 10 % 10, value % 10]
                for d in four.prefix(remaining) { out.append(UInt8(ascii: "0") + UInt8(d)) }
                remaining -= min(4, remaining)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The nearest Double (via the standard library's correctly rounded parser).
    var doubleValue: Double {
        switch sign {
        case .nan: return .nan
        case .infinity: return .infinity
        case .negativeInfinity: return -.infinity
        case .positive, .negative: return Double(text) ?? .nan
        }
    }
}
