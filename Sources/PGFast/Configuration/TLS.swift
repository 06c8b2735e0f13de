/// TLS settings for connections: libpq's `sslmode` and its files.
///
/// ```swift
/// config.tls = .verifyFull(caFile: "/etc/ssl/ca.pem")
/// config.tls = .verifyFull(caFile: "ca.pem", certificateFile: "client.crt", keyFile: "client.key")
/// config.tls = .disable
/// ```
public struct TLS: Sendable, Hashable, CustomStringConvertible {
    enum Mode: String, Sendable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    let mode: Mode
    /// The certificate authorities that sign the server's certificate (`sslrootcert`).
    public let caFile: String?
    /// A client certificate (`sslcert`), for servers that ask for one.
    public let certificateFile: String?
    /// The client certificate's private key (`sslkey`).
    public let keyFile: String?

    /// No TLS.
    public static let disable = TLS(mode: .disable, caFile: nil, certificateFile: nil, keyFile: nil)
    /// TLS when the server offers it, with no certificate check.
    public static let prefer = TLS(mode: .prefer, caFile: nil, certificateFile: nil, keyFile: nil)
    /// TLS always, with no certificate check.
    public static let require = TLS(mode: .require, caFile: nil, certificateFile: nil, keyFile: nil)

    /// TLS always, with no certificate check, presenting a client certificate.
    public static func require(certificateFile: String?, keyFile: String?) -> TLS {
        TLS(mode: .require, caFile: nil, certificateFile: certificateFile, keyFile: keyFile)
    }

    /// TLS with the server's certificate checked against `caFile`, not its host name.
    public static func verifyCA(
        caFile: String, certificateFile: String? = nil, keyFile: String? = nil
    ) -> TLS {
        TLS(mode: .verifyCA, caFile: caFile, certificateFile: certificateFile, keyFile: keyFile)
    }

    /// TLS with the server's certificate and host name checked.
    public static func verifyFull(
        caFile: String, certificateFile: String? = nil, keyFile: String? = nil
    ) -> TLS {
        TLS(mode: .verifyFull, caFile: caFile, certificateFile: certificateFile, keyFile: keyFile)
    }

    /// libpq's name for the mode.
    public var sslMode: String { mode.rawValue }

    public var description: String { "TLS(\(mode.rawValue))" }

    var keywords: [(String, String)] {
        var keywords = [("sslmode", mode.rawValue)]
        if let caFile { keywords.append(("sslrootcert", caFile)) }
        if let certificateFile { keywords.append(("sslcert", certificateFile)) }
        if let keyFile { keywords.append(("sslkey", keyFile)) }
        return keywords
    }
}
