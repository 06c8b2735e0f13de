import CLibPQ
import Logging

/// Receives the server's notices (`RAISE NOTICE`, warnings) and logs them.
///
/// libpq calls back with a C function pointer; this object is its context.
final class NoticeSink: Sendable {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Installs the sink on `connection`; the sink must outlive the connection.
    func install(on connection: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        PQsetNoticeReceiver(
            connection,
            { context, result in
                guard let context, let result else { return }
                let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
                sink.receive(result)
            }, context)
    }

    private func receive(_ result: OpaquePointer) {
        let field = { (code: Character) -> String? in
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let severity = field("V") ?? field("S") ?? "NOTICE"
        let message = field("M") ?? ""
        var metadata: Logger.Metadata = ["pg.severity": "\(severity)"]
        if let code = field("C") { metadata["pg.sqlstate"] = "\(code)" }
        if let detail = field("D") { metadata["pg.detail"] = "\(detail)" }
        if let hint = field("H") { metadata["pg.hint"] = "\(hint)" }
        logger.log(level: Self.level(severity: severity), "\(message)", metadata: metadata)
    }

    /// A server that ends the session (FATAL, PANIC) or reports an error outside a
    /// statement says so as a notice: that is an error in the log, not chatter.
    static func level(severity: String) -> Logger.Level {
        switch severity {
        case "FATAL", "PANIC", "ERROR": .error
        case "WARNING": .warning
        case "DEBUG": .debug
        default: .info
        }
    }
}
