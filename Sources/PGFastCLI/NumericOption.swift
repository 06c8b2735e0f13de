import ArgumentParser

/// Range checks for numeric options, so a bad value is a usage error (exit 64) naming
/// the option instead of a crash: `Double("inf")`, `nan` and `1e300` parse fine but
/// cannot become a `Duration`.
enum NumericOption {
    /// The longest wait PostgreSQL's `lock_timeout` accepts: `INT_MAX` milliseconds.
    static let maximumSeconds = Double(Int32.max) / 1000

    /// Seconds that are finite, positive and at most ``maximumSeconds``.
    static func checkSeconds(_ value: Double, option: String) throws {
        guard value.isFinite, value >= 0.001, value <= maximumSeconds else {
            throw ValidationError(
                "\(option) must be a number of seconds from 0.001 to \(Int(maximumSeconds)), not \(value)")
        }
    }

    /// A count of at least 1.
    static func checkCount(_ value: Int, option: String) throws {
        guard value >= 1 else { throw ValidationError("\(option) must be 1 or more, not \(value)") }
    }

    /// A checked number of seconds as a `Duration`, to the millisecond.
    static func duration(seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}
