import Foundation

/// Output for people: aligned tables, colour only on a terminal (and never with NO_COLOR).
enum Terminal {
    static let isColored = colors(on: STDOUT_FILENO)

    /// Whether `descriptor` is a terminal that wants colour (no `NO_COLOR`, no `TERM=dumb`).
    static func colors(on descriptor: Int32) -> Bool {
        isatty(descriptor) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    enum Color: String {
        case red = "31"
        case green = "32"
        case yellow = "33"
        case blue = "34"
        case gray = "90"
        case bold = "1"
    }

    static func paint(_ text: String, _ color: Color) -> String {
        isColored ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    static func error(_ message: String) {
        let prefix = colors(on: STDERR_FILENO) ? "\u{1B}[31merror:\u{1B}[0m " : "error: "
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }

    /// Columns padded to their widest cell; `colors` paints whole cells after padding.
    static func table(_ header: [String], _ rows: [[String]], colors: [(Int, (String) -> Color?)] = []) -> String {
        guard !header.isEmpty else { return "" }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String], painted: Bool) -> String {
            cells.enumerated().map { index, cell in
                let padded =
                    index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                if painted, let rule = colors.first(where: { $0.0 == index }), let color = rule.1(cell) {
                    return paint(padded, color)
                }
                return padded
            }.joined(separator: "  ")
        }
        var output = [paint(line(header, painted: false), .bold)]
        output += rows.map { line($0, painted: true) }
        return output.joined(separator: "\n")
    }
}
