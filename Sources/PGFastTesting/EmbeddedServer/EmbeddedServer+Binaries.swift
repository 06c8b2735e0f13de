import Foundation

extension EmbeddedServer {
    /// The PostgreSQL server programs we drive, all from one directory so their versions agree.
    struct Binaries: Sendable {
        /// The directory that holds the programs.
        var directory: String
        /// The full version, e.g. "15.18", from `postgres --version`.
        var version: String

        var initdb: String { directory + "/initdb" }
        var pgCtl: String { directory + "/pg_ctl" }
        var postgres: String { directory + "/postgres" }

        /// The major version as PostgreSQL writes it in `PG_VERSION`: "15", or "9.6" before 10.
        var majorVersion: String { Self.majorVersion(of: version) }

        private static let programs = ["initdb", "pg_ctl", "postgres"]

        /// Finds the programs: an explicit directory or `PGFAST_PG_BINDIR` first, then `PATH`,
        /// `pg_config --bindir`, `/usr/lib/postgresql/*/bin` (highest version) and Homebrew.
        ///
        /// An explicit directory that lacks them is an error rather than a reason to keep
        /// searching: the user asked for those binaries, and silently using others would hide it.
        static func locate(options: Options) async throws -> Binaries {
            let explicit: (source: String, directory: String)? =
                if let directory = options.binDirectory {
                    ("the configured binary directory", directory)
                } else if let directory = options.variable("PGFAST_PG_BINDIR") {
                    ("PGFAST_PG_BINDIR", directory)
                } else {
                    nil
                }
            if let explicit {
                let missing = programs.filter { !isExecutable(explicit.directory + "/" + $0) }
                guard missing.isEmpty else {
                    throw EmbeddedServerError(
                        code: .binariesNotFound,
                        message: """
                            \(explicit.source) is \(explicit.directory), but it does not contain \
                            \(missing.joined(separator: ", ")). Point it at the directory that holds initdb, \
                            pg_ctl and postgres (for example /usr/lib/postgresql/16/bin), or unset it to search \
                            PATH and the usual install locations.
                            """
                    )
                }
                return try await Binaries(directory: explicit.directory)
            }

            let searchPath = options.variable("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
            let path = searchPath.split(separator: ":").map(String.init)
            // PATH first, on its own: only when it has no server is `pg_config` (a Perl script on
            // Debian, tens of milliseconds each run) asked where the programs are.
            if let directory = path.first(where: hasAllPrograms) {
                return try await Binaries(directory: directory)
            }
            for directory in try await candidateDirectories(options: options, path: path)
            where hasAllPrograms(directory) {
                return try await Binaries(directory: directory)
            }
            throw EmbeddedServerError(
                code: .binariesNotFound,
                message: """
                    The PostgreSQL server programs (initdb, pg_ctl, postgres) were not found in PATH, \
                    pg_config --bindir, /usr/lib/postgresql/*/bin or the Homebrew locations. Install them \
                    (Debian/Ubuntu: `apt-get install -y postgresql`; macOS: `brew install postgresql@16`), \
                    set PGFAST_PG_BINDIR to the directory that contains them, or set TEST_DATABASE_URL to \
                    use an existing server instead of the embedded one.
                    """
            )
        }

        /// Asks `postgres --version` for the version of the programs in `directory`.
        init(directory: String) async throws {
            let postgres = directory + "/postgres"
            self.version = try await VersionCache.version(of: postgres) {
                let result = try await ChildProcess.run(postgres, ["--version"])
                guard result.succeeded, let version = Self.parseVersion(result.output) else {
                    throw EmbeddedServerError(
                        code: .commandFailed,
                        message: "`\(postgres) --version` failed or printed no version.",
                        output: result.output
                    )
                }
                return version
            }
            self.directory = directory
        }

        /// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "15.18"; also "17beta1", "16devel".
        static func parseVersion(_ output: String) -> String? {
            let words = output.split(whereSeparator: { $0 == " " || $0 == "\n" })
            let afterName = words.drop(while: { $0 != "(PostgreSQL)" }).dropFirst()
            let word = afterName.first ?? words.first(where: { $0.first?.isNumber == true })
            guard let word, word.first?.isNumber == true else { return nil }
            return String(word)
        }

        static func majorVersion(of version: String) -> String {
            let leading = version.prefix(while: \.isNumber)
            if let major = Int(leading), major < 10 {
                // Before PostgreSQL 10 the major version had two parts ("9.6").
                let rest = version.dropFirst(leading.count)
                if rest.first == "." {
                    return String(leading) + "." + rest.dropFirst().prefix(while: \.isNumber)
                }
            }
            return String(leading)
        }

        /// The search order after the explicit settings.
        /// Where to look after PATH: `pg_config --bindir`, then the usual install locations.
        private static func candidateDirectories(options: Options, path pathDirectories: [String]) async throws
            -> [String]
        {
            var directories: [String] = []
            if let pgConfig = pathDirectories.map({ $0 + "/pg_config" }).first(where: isExecutable),
                let result = try? await ChildProcess.run(pgConfig, ["--bindir"]), result.succeeded
            {
                directories.append(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
            }

            directories += versionedDirectories(parent: "/usr/lib/postgresql", prefix: "", suffix: "/bin")
            directories += versionedDirectories(parent: "/opt/homebrew/opt", prefix: "postgresql@", suffix: "/bin")
            directories += versionedDirectories(parent: "/usr/local/opt", prefix: "postgresql@", suffix: "/bin")
            directories += [
                "/opt/homebrew/opt/postgresql/bin",
                "/usr/local/opt/postgresql/bin",
                "/opt/homebrew/bin",
                "/Applications/Postgres.app/Contents/Versions/latest/bin",
            ]
            return directories
        }

        /// `<parent>/<prefix><version><suffix>` for every version present, highest first.
        private static func versionedDirectories(parent: String, prefix: String, suffix: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            let versioned: [(version: [Int], name: String)] = names.compactMap { name in
                guard name.hasPrefix(prefix) else { return nil }
                let parts = name.dropFirst(prefix.count).split(separator: ".").map { Int($0) }
                guard !parts.isEmpty, !parts.contains(nil) else { return nil }
                return (parts.compactMap { $0 }, name)
            }
            return
                versioned
                .sorted { $0.version.lexicographicallyPrecedes($1.version) }
                .reversed()
                .map { parent + "/" + $0.name + suffix }
        }

        private static func hasAllPrograms(_ directory: String) -> Bool {
            programs.allSatisfy { isExecutable(directory + "/" + $0) }
        }

        private static func isExecutable(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                && !isDirectory.boolValue && FileManager.default.isExecutableFile(atPath: path)
        }
    }
}
