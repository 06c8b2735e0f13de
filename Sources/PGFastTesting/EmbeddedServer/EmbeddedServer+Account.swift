import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension EmbeddedServer {
    /// The operating-system account PostgreSQL runs as.
    ///
    /// PostgreSQL refuses to run as root, and containers and CI usually are root, so as root
    /// we switch to an unprivileged user with `runuser` or `setpriv` and give it the cluster
    /// directories. Otherwise PostgreSQL simply runs as us.
    struct Account: Sendable {
        /// The user to switch to, or nil to run as the current user.
        var switchTo: SwitchedUser?

        struct SwitchedUser: Sendable {
            var name: String
            var uid: uid_t
            var gid: gid_t
            /// The `runuser`/`setpriv` invocation that precedes the command.
            var prefix: [String]
        }

        static func resolve(options: Options) throws -> Account {
            guard geteuid() == 0 else { return Account(switchTo: nil) }

            let requested = options.user ?? options.variable("PGFAST_EMBEDDED_USER")
            let name = requested ?? "postgres"
            guard let entry = passwordEntry(name: name) else {
                let message =
                    if let requested {
                        """
                        PostgreSQL cannot run as root, and the user "\(requested)" chosen to run it \
                        (PGFAST_EMBEDDED_USER) does not exist. Create it (`useradd --system \(requested)`) \
                        or set PGFAST_EMBEDDED_USER to an existing unprivileged user.
                        """
                    } else {
                        """
                        PostgreSQL cannot run as root and there is no "postgres" user to run it as. \
                        Create one (`useradd --system --user-group postgres`), set PGFAST_EMBEDDED_USER to \
                        an existing unprivileged user, or set TEST_DATABASE_URL to use an existing server.
                        """
                    }
                throw EmbeddedServerError(code: .noUnprivilegedUser, message: message)
            }
            guard entry.uid != 0 else {
                throw EmbeddedServerError(
                    code: .noUnprivilegedUser,
                    message: """
                        PostgreSQL cannot run as root, and the user "\(name)" has uid 0. Set \
                        PGFAST_EMBEDDED_USER to an unprivileged user (`useradd --system postgres`).
                        """
                )
            }

            let path = (options.variable("PATH") ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
            let prefix: [String]
            if let runuser = findProgram("runuser", path: path) {
                prefix = [runuser, "-u", name, "--"]
            } else if let setpriv = findProgram("setpriv", path: path) {
                prefix = [setpriv, "--reuid=\(entry.uid)", "--regid=\(entry.gid)", "--init-groups", "--"]
            } else {
                throw EmbeddedServerError(
                    code: .noUnprivilegedUser,
                    message: """
                        PostgreSQL cannot run as root, and neither runuser nor setpriv (util-linux) was \
                        found to run it as "\(name)". Install util-linux, run the tests as a non-root user, \
                        or set TEST_DATABASE_URL to use an existing server.
                        """
                )
            }
            return Account(switchTo: SwitchedUser(name: name, uid: entry.uid, gid: entry.gid, prefix: prefix))
        }

        /// Runs a PostgreSQL program as this account.
        ///
        /// - Parameter leavesDaemon: true for commands that start a server (`pg_ctl start`), which
        ///   need ``ChildProcess/runLeavingDaemon(_:_:currentDirectory:)``.
        func run(
            _ program: String,
            _ arguments: [String],
            in directory: String,
            leavesDaemon: Bool = false
        ) async throws -> ChildProcess.Result {
            let command = (switchTo?.prefix ?? []) + [program] + arguments
            let executable = command[0]
            let rest = Array(command.dropFirst())
            // Run from the cluster directory: the switched user may not be able to enter ours.
            if leavesDaemon {
                return try await ChildProcess.runLeavingDaemon(executable, rest, currentDirectory: directory)
            }
            return try await ChildProcess.run(executable, rest, currentDirectory: directory)
        }

        /// Hands a file or directory we created to the account, so PostgreSQL can use it.
        func giveOwnership(of path: String) throws {
            guard let user = switchTo else { return }
            guard chown(path, user.uid, user.gid) == 0 else {
                let reason = String(cString: strerror(errno))
                throw EmbeddedServerError(
                    code: .invalidDirectory,
                    message: "Could not give \(path) to the user \(user.name): \(reason)."
                )
            }
        }

        private static func passwordEntry(name: String) -> (uid: uid_t, gid: gid_t)? {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>? = nil
            var buffer = [CChar](repeating: 0, count: 16_384)
            let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
            guard status == 0, result != nil else { return nil }
            return (entry.pw_uid, entry.pw_gid)
        }

        private static func findProgram(_ name: String, path: String) -> String? {
            path.split(separator: ":")
                .map { $0 + "/" + name }
                .first { FileManager.default.isExecutableFile(atPath: $0) }
        }
    }
}
