extension PostgresError {
    /// For "integer out of range" on a statement with binds: names the integer binds whose
    /// values do not fit a narrower integer column, since the server cannot say which `$n`
    /// it was (`Int` binds as `int8`; an `int4` column or cast then overflows).
    ///
    /// Only the parameter numbers and widths are named, never the values.
    mutating func nameOverflowingIntegerBinds(_ binds: [PostgresBind]) {
        guard sqlState == .numericValueOutOfRange, !binds.isEmpty else { return }
        var notes: [String] = []
        for (index, bind) in binds.enumerated() {
            guard let bytes = bind.bytes, bind.format == .binary else { continue }
            let value: Int64
            switch bind.type {
            case .int8 where bytes.count == 8:
                value = bytes.reduce(0) { $0 << 8 | Int64($1) }
            case .int4 where bytes.count == 4:
                value = Int64(Int32(bitPattern: bytes.reduce(0) { $0 << 8 | UInt32($1) }))
            default: continue
            }
            let source = bind.type == .int8 ? "int8" : "int4"
            if Int32(exactly: value) == nil {
                notes.append("$\(index + 1) (an \(source) bind) does not fit int4 or int2")
            } else if Int16(exactly: value) == nil {
                notes.append("$\(index + 1) (an \(source) bind) does not fit int2")
            }
        }
        guard !notes.isEmpty else { return }
        message += ": " + notes.joined(separator: "; ")
        let advice = "the column or cast it goes to is narrower than the bound value: widen it, or check the value"
        hint = hint.map { $0 + "\n" + advice } ?? advice
    }
}
