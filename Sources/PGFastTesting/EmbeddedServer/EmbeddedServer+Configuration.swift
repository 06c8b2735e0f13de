import Foundation

extension EmbeddedServer {
    /// The server settings PGFast owns, kept in `pgfast.conf` inside the data directory.
    ///
    /// A separate file included from `postgresql.conf` means we can rewrite it (a new port)
    /// without editing the file initdb wrote, and it is also where the port is persisted.
    enum Configuration {
        static let fileName = "pgfast.conf"
        static let includeLine = "include = '\(fileName)'"

        /// Settings tuned for throwaway test data: durability off, nothing in the background.
        static func settings(port: Int, socketDirectory: String) -> String {
            """
            # Written by PGFast for an embedded test cluster; rewritten when the port changes.
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(escaped(socketDirectory))'
            max_connections = 1000
            shared_buffers = 128MB
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            wal_level = minimal
            max_wal_senders = 0
            min_wal_size = 32MB
            max_wal_size = 256MB
            jit = off
            autovacuum = off
            timezone = 'UTC'
            log_timezone = 'UTC'
            log_checkpoints = off

            """
        }

        /// Trust, but only over the Unix socket and loopback TCP.
        static let hostBasedAuthentication = """
            # Written by PGFast: the embedded cluster only accepts local connections.
            local all all trust
            host all all 127.0.0.1/32 trust

            """

        /// The port written in a `pgfast.conf`, or nil if there is none.
        static func port(inSettings text: String) -> Int? {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "port" else { continue }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
            return nil
        }

        private static func escaped(_ value: String) -> String {
            value.replacingOccurrences(of: "'", with: "''")
        }
    }
}
