import Foundation
import Logging
import PGFast

/// Work a test run leaves for after it has exited: dropping its finished
/// clones, then trimming and topping up the next run's stock of ready ones
/// (drops before creates: the peak never exceeds what is left).
///
/// While it works it holds the run's lease lock (taken as soon as the exiting
/// process lets it go), so the next run's sweep never takes the run for a dead
/// one and never reports its clones as left behind.
///
/// It is server-side work (about 10 ms a clone, 8 ms a drop) that no test waits
/// for, so it should not hold up the end of `swift test` either. When `psql` is
/// at hand, the statements go to a detached `psql` that outlives the test
/// process; otherwise they run here before the process exits. Either way a
/// statement that fails (a name another run took, a server that went away)
/// only means less stock: the next run creates what it misses.
struct Housekeeping {
    let server: TestServer
    let admin: ConnectionPool
    let logger: Logger

    /// One piece of work. Each must stand alone (no binds): they run in autocommit, one by one.
    enum Step {
        /// A statement.
        case statement(SQL)
        /// A query whose rows are statements, each run in turn (psql's `\gexec`): decisions
        /// made on the server, under the locks the script holds, at the moment they apply.
        case generated(SQL)
    }

    /// Runs `steps`; a detached psql first takes `owner`'s lease lock (it waits until
    /// this process has let it go), so the run counts as alive until its work is done.
    func run(_ steps: [Step], holding owner: OwnerID) async {
        guard !steps.isEmpty else { return }
        if let psql = server.psql, let environment = Self.libpqEnvironment(server.admin) {
            let lease = Step.statement(
                SQL(unsafeRaw: "SELECT pg_advisory_lock(\(OwnerID.lockClass), \(owner.value))"))
            do {
                try detach(psql: psql, environment: environment, script: Self.script([lease] + steps))
                return
            } catch {
                logger.debug("cannot start psql for housekeeping; doing it now", metadata: ["error": "\(error)"])
            }
        }
        do {
            try await Database(pool: admin).withConnection { db in
                for step in steps { await Self.perform(step, on: db, logger: logger) }
            }
        } catch {
            logger.debug("housekeeping failed", metadata: ["error": "\(error)"])
        }
    }

    /// The steps as a psql script.
    static func script(_ steps: [Step]) -> String {
        steps.map { step in
            switch step {
            case .statement(let sql): sql.text + ";\n"
            case .generated(let sql): sql.text + " \\gexec\n"
            }
        }.joined()
    }

    /// One step in this process (no psql at hand); a failure only means less stock.
    static func perform(_ step: Step, on db: Database, logger: Logger) async {
        var statements: [SQL] = []
        switch step {
        case .statement(let sql): statements = [sql]
        case .generated(let sql):
            do {
                statements = try await db.query(sql).decode(String.self).map { SQL(unsafeRaw: $0) }
            } catch {
                logger.debug("housekeeping query failed", metadata: ["sql": "\(sql.text)", "error": "\(error)"])
            }
        }
        for statement in statements {
            do {
                try await db.execute(statement)
            } catch {
                logger.debug(
                    "housekeeping statement failed", metadata: ["sql": "\(statement.text)", "error": "\(error)"])
            }
        }
    }

    private func detach(psql: String, environment: [String: String], script: String) throws {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("pgfast-housekeeping-\(getpid())-\(UUID().uuidString.prefix(8)).sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // psql runs each statement in autocommit and goes on after a failed one; the script removes itself.
        process.arguments = ["-c", "\"$0\" -X -q -f \"$1\" >/dev/null 2>&1; rm -f \"$1\"", psql, file.path]
        process.environment = environment
        // Nothing inherited: `swift test` must not wait for our output pipes to close.
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// The admin connection's settings as libpq environment variables (never on a
    /// command line, where `ps` would show a password); nil if one has no variable.
    static func libpqEnvironment(_ config: DatabaseConfig) -> [String: String]? {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        let special = [
            "dbname": "PGDATABASE", "application_name": "PGAPPNAME", "connect_timeout": "PGCONNECT_TIMEOUT",
            "client_encoding": "PGCLIENTENCODING",
        ]
        let plain: Set<String> = [
            "host", "hostaddr", "port", "user", "password", "passfile", "options", "sslmode", "sslcert", "sslkey",
            "sslrootcert", "sslcrl", "sslpassword", "sslcompression", "requiressl", "gssencmode", "krbsrvname",
            "channel_binding", "service", "target_session_attrs", "sslsni", "requirepeer",
        ]
        for (key, value) in config.parameters {
            if let name = special[key] {
                environment[name] = value
            } else if plain.contains(key) {
                environment["PG" + key.uppercased().replacingOccurrences(of: "_", with: "")] = value
            } else if key.hasPrefix("keepalives") || key == "fallback_application_name" {
                continue  // irrelevant for a short script
            } else {
                return nil
            }
        }
        environment["PGAPPNAME"] = "pgfast housekeeping"
        // Quiet: no NOTICE for `DROP DATABASE IF EXISTS` of a database already gone.
        environment["PGOPTIONS"] = [environment["PGOPTIONS"], "-c client_min_messages=warning"]
            .compactMap { $0 }.joined(separator: " ")
        return environment
    }
}
