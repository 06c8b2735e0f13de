extension Migration {
    /// What a file name in a migrations or fixtures directory says about the file.
    enum FileName: Equatable {
        enum Kind: Equatable {
            case up, down
        }

        /// `{14 digits}_{name}_up.sql` or `…_down.sql`.
        case pgfast(version: String, name: String, kind: Kind)
        /// `{digits}_{name}.sql`, pgdbm's convention (no down files).
        case pgdbm(version: String, name: String)
        /// `{version}_{name}_fixture.sql`; the version is digits, or Flyway's dotted `1.10`.
        case fixture(version: String, name: String)
        /// Not a migration; `reason` says what was expected.
        case invalid(reason: String)

        static let expected = "expected {version}_{name}_up.sql or {version}_{name}_down.sql"

        static func parse(_ fileName: String) -> FileName {
            guard fileName.hasSuffix(".sql") else { return .invalid(reason: "not a .sql file") }
            for (suffix, kind) in [("_up.sql", Kind.up), ("_down.sql", .down)] where fileName.hasSuffix(suffix) {
                guard let (version, name) = split(fileName.dropLast(suffix.count)) else {
                    return .invalid(reason: expected)
                }
                guard version.count == 14 else {
                    return .invalid(
                        reason: "version \"\(version)\" has \(version.count) digits; "
                            + "it must be a 14-digit timestamp (YYYYMMDDHHMMSS)")
                }
                return .pgfast(version: version, name: name, kind: kind)
            }
            if fileName.hasSuffix("_fixture.sql") {
                // Flyway's versions have dots: `1.10_posts_fixture.sql` belongs to V1.10 (or V1_10).
                let stem = fileName.dropLast("_fixture.sql".count)
                let version = stem.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
                let rest = stem.dropFirst(version.count)
                guard let first = version.first, first.isNumber, version.last?.isNumber == true, rest.first == "_",
                    rest.count > 1
                else {
                    return .invalid(reason: "expected {version}_{name}_fixture.sql")
                }
                return .fixture(version: String(version), name: String(rest.dropFirst()))
            }
            guard let (version, name) = split(fileName.dropLast(".sql".count)) else {
                return .invalid(reason: expected)
            }
            return .pgdbm(version: version, name: name)
        }
    }

    /// Orders versions numerically, so pgdbm's `9_…` precedes `10_…`, part by part for
    /// Flyway's dotted versions (`1.2` before `1.10`); ties fall back to the text.
    static func versionPrecedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = versionKey(lhs).split(separator: ".")
        let right = versionKey(rhs).split(separator: ".")
        for (a, b) in zip(left, right) where a != b {
            return a.count != b.count ? a.count < b.count : a < b
        }
        if left.count != right.count { return left.count < right.count }
        return lhs < rhs
    }

    /// The number a version stands for, as digits without leading zeros: `"001"` and `"1"` are
    /// one version, as are Flyway's `"1.0"` and `"1"` (each dotted part trimmed, trailing zero parts dropped).
    static func versionKey(_ version: String) -> String {
        var parts = version.split(separator: ".", omittingEmptySubsequences: false).map { part -> String in
            let trimmed = part.drop { $0 == "0" }
            return trimmed.isEmpty ? "0" : String(trimmed)
        }
        while parts.count > 1, parts.last == "0" { parts.removeLast() }
        return parts.joined(separator: ".")
    }
}
