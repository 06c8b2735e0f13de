extension Connection {
    /// libpq's message without the "invalid socket" (or "no connection to the server")
    /// line it appends when a later call meets the already closed socket: the first
    /// lines say what happened.
    nonisolated static func withoutSocketNoise(_ message: String) -> String {
        let noise: Set<String> = ["invalid socket", "no connection to the server"]
        var lines = message.trimmingTrailingNewlines().split(separator: "\n", omittingEmptySubsequences: false)
        while lines.count > 1, let last = lines.last, noise.contains(last.trimmingCharacters()) { lines.removeLast() }
        return lines.joined(separator: "\n").trimmingTrailingNewlines()
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" })).trimmingTrailingNewlines()
    }
}
