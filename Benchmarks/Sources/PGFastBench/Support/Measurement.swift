import Foundation

/// The two clients compared in every measurement.
enum Client: String, Sendable {
    case pgfast = "PGFast"
    case nio = "postgres-nio"
}

/// One timed run: how many operations took how long.
struct Sample: Sendable {
    var operations: Int
    var duration: Duration

    var seconds: Double {
        let (s, attoseconds) = duration.components
        return Double(s) + Double(attoseconds) / 1e18
    }
    var perSecond: Double { Double(operations) / seconds }
}

/// Runs `body` once, timed on the continuous clock.
func timed(operations: Int, _ body: () async throws -> Void) async throws -> Sample {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    return Sample(operations: operations, duration: clock.now - start)
}

func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty)
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// A line of the results table: a scenario, measured for both clients, several rounds.
struct ResultLine: Sendable {
    var scenario: String
    var transport: String
    var unit: String  // "ops/s" or "rows/s"
    var pgfast: [Double] = []  // one figure per round
    var nio: [Double] = []
    /// Time per query (decoding lines), milliseconds, one per round.
    var pgfastMillis: [Double] = []
    var nioMillis: [Double] = []
    /// The goal for PGFast ÷ postgres-nio, if this line has one.
    var goal: Double?

    var ratio: Double { pgfast.isEmpty || nio.isEmpty ? .nan : median(pgfast) / median(nio) }
}

extension Double {
    func formatted(_ digits: Int) -> String { String(format: "%.\(digits)f", self) }
    /// 12345.6 -> "12,346"
    var grouped: String {
        let digits = String(Int(self.rounded()))
        var out = ""
        for (offset, character) in digits.reversed().enumerated() {
            if offset > 0, offset % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }
}

/// Prints the results as a Markdown table (pasted into Benchmarks/README.md).
func printTable(_ lines: [ResultLine], rounds: Int) {
    print("")
    print("| scenario | transport | PGFast | postgres-nio | ratio | goal |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for line in lines {
        func figure(_ values: [Double], _ millis: [Double]) -> String {
            guard !values.isEmpty else { return "—" }
            var text = "\(median(values).grouped) \(line.unit)"
            if !millis.isEmpty { text += " (\(median(millis).formatted(1)) ms/query)" }
            return text
        }
        let pgfast = figure(line.pgfast, line.pgfastMillis)
        let nio = figure(line.nio, line.nioMillis)
        let goal: String
        if line.ratio.isNaN {
            goal = "—"
        } else if let target = line.goal {
            goal = "≥ \(target.formatted(2))× " + (line.ratio >= target ? "met" : "missed")
        } else {
            goal = "—"
        }
        print("| \(line.scenario) | \(line.transport) | \(pgfast) | \(nio) | \(line.ratio.formatted(2))× | \(goal) |")
    }
    print("")
    print("Each figure is the median of \(rounds) rounds; ratio = PGFast ÷ postgres-nio.")
    print("Per-round figures:")
    for line in lines {
        let a = line.pgfast.map(\.grouped).joined(separator: ", ")
        let b = line.nio.map(\.grouped).joined(separator: ", ")
        print("  \(line.scenario) [\(line.transport)]: PGFast \(a); postgres-nio \(b)")
    }
}
