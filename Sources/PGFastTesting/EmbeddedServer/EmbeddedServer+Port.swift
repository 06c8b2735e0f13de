import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension EmbeddedServer {
    /// Loopback TCP ports: picking a free one for a new cluster, and noticing when a cluster's
    /// persisted port has been taken by something else while the cluster was stopped.
    enum LoopbackPort {
        /// A port that is free on 127.0.0.1 right now, chosen by the kernel (bind to port 0).
        static func free() throws -> Int {
            try withBoundSocket(port: 0) { descriptor in
                var address = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let status = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
                }
                guard status == 0 else { throw socketError("getsockname") }
                return Int(UInt16(bigEndian: address.sin_port))
            }
        }

        /// Whether PostgreSQL could listen on `port` on 127.0.0.1.
        ///
        /// Uses `SO_REUSEADDR` like the postmaster does, so a port only held by connections in
        /// TIME_WAIT still counts as free.
        static func isFree(_ port: Int) -> Bool {
            (try? withBoundSocket(port: port) { _ in true }) ?? false
        }

        private static func withBoundSocket<T>(port: Int, _ body: (Int32) throws -> T) throws -> T {
            #if canImport(Darwin)
                let descriptor = socket(AF_INET, SOCK_STREAM, 0)
            #else
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #endif
            guard descriptor >= 0 else { throw socketError("socket") }
            defer { close(descriptor) }

            var reuse: Int32 = 1
            _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))

            var address = sockaddr_in()
            #if canImport(Darwin)
                address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
            #endif
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard status == 0 else { throw socketError("bind") }
            return try body(descriptor)
        }

        private static func socketError(_ call: String) -> EmbeddedServerError {
            EmbeddedServerError(
                code: .startFailed,
                message: "Could not find a free port on 127.0.0.1 (\(call): \(String(cString: strerror(errno))))."
            )
        }
    }
}
