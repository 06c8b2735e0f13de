import Foundation

/// `Decimal` is `numeric`, exactly: no detour through `Double`. It also reads `int2`,
/// `int4` and `int8`. `numeric` NaN maps to `Decimal.nan` both ways; numeric
/// `Infinity` has no `Decimal` counterpart and fails to decode. Values with more
/// significant digits than `Decimal` holds (38) are rounded by Foundation.
///
/// ```swift
/// let total: Decimal = try await db.value("SELECT sum(amount) FROM payments")
/// try await db.execute("UPDATE accounts SET balance = \(Decimal(string: "10.25")!)")
/// ```
extension Decimal: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .numeric }

    public func encode(into buffer: inout [UInt8]) throws {
        if isNaN {
            PostgresNumeric(sign: .nan, weight: 0, scale: 0, digits: []).encode(into: &buffer)
            return
        }
        // Decimal's description is plain positional notation ("-0.0001", "100000"), which
        // is exactly what the numeric parser takes; Decimal's own storage is not public on Linux.
        guard let numeric = PostgresNumeric(text: description) else {
            throw PostgresError(code: .encoding, message: "cannot encode Decimal \(self) as numeric")
        }
        numeric.encode(into: &buffer)
    }

    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        if type == .numeric {
            self = try Decimal(numeric: PostgresNumeric(bytes))
        } else if let integer = try PostgresBinary.integer(bytes, type) {
            self = Decimal(integer)
        } else {
            throw PostgresDecodingFailure.typeMismatch
        }
    }

    init(numeric: PostgresNumeric) throws {
        switch numeric.sign {
        case .nan:
            self = .nan
            return
        case .infinity, .negativeInfinity:
            throw PostgresDecodingFailure.malformed("numeric \(numeric.text) cannot be represented as a Decimal")
        case .positive, .negative:
            break
        }
        if numeric.digits.isEmpty {
            self = 0
            return
        }
        // Up to 16 decimal digits fit a UInt64: build the value directly.
        let exponent = 4 * (Int(numeric.weight) - numeric.digits.count + 1)
        if numeric.digits.count <= 4, exponent >= -124, exponent <= 124 {
            var significand: UInt64 = 0
            for digit in numeric.digits { significand = significand * 10_000 + UInt64(digit) }
            self = Decimal(
                sign: numeric.sign == .negative ? .minus : .plus, exponent: exponent,
                significand: Decimal(significand))
            return
        }
        guard let value = Decimal(string: numeric.text), !value.isNaN else {
            throw PostgresDecodingFailure.malformed("numeric \(numeric.text) cannot be represented as a Decimal")
        }
        self = value
    }
}
