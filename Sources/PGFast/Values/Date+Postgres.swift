import Foundation

/// `Date` binds as `timestamptz` and reads `timestamptz`, `timestamp` (taken as UTC)
/// and `date` (midnight UTC). PostgreSQL's `infinity` and `-infinity` map to
/// `Date.distantFuture` and `Date.distantPast`, both ways. Precision is the
/// server's: microseconds.
///
/// ```swift
/// try await db.execute("UPDATE users SET seen_at = \(Date()) WHERE id = \(id)")
/// let seenAt: Date = try await db.value("SELECT seen_at FROM users WHERE id = \(id)")
/// ```
extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .timestamptz }

    /// Microseconds from Foundation's reference date (2001-01-01) back to PostgreSQL's (2000-01-01).
    static let postgresEpochOffsetMicroseconds: Int64 = 31_622_400_000_000
    static let microsecondsPerDay: Int64 = 86_400_000_000

    public func encode(into buffer: inout [UInt8]) throws {
        PostgresBinary.append(try postgresMicroseconds(), to: &buffer)
    }

    /// Microseconds since 2000-01-01 UTC, with the infinities for the distant dates.
    func postgresMicroseconds() throws -> Int64 {
        let seconds = timeIntervalSinceReferenceDate
        if self == .distantFuture || seconds == .infinity { return .max }
        if self == .distantPast || seconds == -.infinity { return .min }
        // Scale first, then shift in integers: exact to the microsecond for any date a
        // Double can place that precisely.
        let scaled = (seconds * 1_000_000).rounded()
        guard scaled.isFinite, let micros = Int64(exactly: scaled),
            case (let value, false) = micros.addingReportingOverflow(Self.postgresEpochOffsetMicroseconds),
            value != .max, value != .min
        else {
            throw PostgresError(code: .encoding, message: "date \(seconds)s from 2001 is out of timestamptz range")
        }
        return value
    }

    /// The date for microseconds since 2000-01-01 UTC.
    init(postgresMicroseconds micros: Int64) {
        switch micros {
        case .max: self = .distantFuture
        case .min: self = .distantPast
        default:
            // The subtraction cannot overflow: PostgreSQL's range is far inside Int64's.
            let (relative, overflow) = micros.subtractingReportingOverflow(Self.postgresEpochOffsetMicroseconds)
            self.init(
                timeIntervalSinceReferenceDate: overflow
                    ? Double(micros) / 1_000_000 - 31_622_400 : Double(relative) / 1_000_000)
        }
    }

    @inline(__always)
    public init(postgresBytes bytes: UnsafeRawBufferPointer, type: PostgresType) throws {
        switch type {
        case .timestamptz, .timestamp:
            try PostgresBinary.expect(8, bytes, type)
            self.init(postgresMicroseconds: PostgresBinary.load(Int64.self, from: bytes))
        case .date:
            try PostgresBinary.expect(4, bytes, type)
            switch PostgresBinary.load(Int32.self, from: bytes) {
            case .max: self = .distantFuture
            case .min: self = .distantPast
            case let days: self.init(postgresMicroseconds: Int64(days) * Self.microsecondsPerDay)
            }
        default:
            throw PostgresDecodingFailure.typeMismatch
        }
    }
}
