import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension EmbeddedServer.ChildProcess {
    /// Runs a command that leaves a daemon behind (`pg_ctl start`, `pg_ctl restart`).
    ///
    /// `Foundation.Process` on Linux notices that a child exited by end-of-file on a socket the
    /// child inherits (swift-corelibs-foundation#4795). A postmaster started by the child inherits
    /// that socket too, so the termination handler would only run once the *server* exits: `pg_ctl
    /// start` would seem to hang forever. Such commands are therefore spawned with `posix_spawn`,
    /// with every descriptor but stdin/stdout/stderr closed in the child, and reaped by `waitpid`
    /// on a dedicated thread, which keeps Swift's cooperative pool free as `Process` would.
    static func runLeavingDaemon(
        _ executable: String,
        _ arguments: [String],
        currentDirectory: String
    ) async throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("pgfast-\(UUID().uuidString).out").path
        let output = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            throw spawnError(executable, "could not create \(outputPath): \(String(cString: strerror(errno)))")
        }
        defer {
            close(output)
            unlink(outputPath)
        }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard devNull >= 0 else { throw spawnError(executable, "could not open /dev/null") }
        defer { close(devNull) }

        // `posix_spawn` cannot change directory portably, so a shell does it before exec'ing the command.
        let argv = ["/bin/sh", "-c", "cd \"$0\" || exit 127; exec \"$@\"", currentDirectory, executable] + arguments
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }

        let pid = try spawn(argv: argv, environment: environment, stdin: devNull, stdout: output)
        let status = await reap(pid)

        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        return Result(status: status, output: String(decoding: data, as: UTF8.self))
    }

    private static func spawn(argv: [String], environment: [String], stdin: Int32, stdout: Int32) throws -> pid_t {
        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t? = nil
            var attributes: posix_spawnattr_t? = nil
        #else
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stdout, 2)
        #if canImport(Darwin)
            // Darwin closes every descriptor that is not explicitly inherited.
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_CLOEXEC_DEFAULT))
        #else
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            closeInheritedDescriptors(&actions)
        #endif

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments + cEnvironment {
                free(pointer)
            }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard status == 0 else {
            throw spawnError(argv[4], String(cString: strerror(status)))
        }
        return pid
    }

    #if !canImport(Darwin)
        /// Makes the child close every descriptor above stderr.
        ///
        /// A daemon that inherits another thread's pipe (a `Process` being started at the same
        /// moment, whose pipes are not close-on-exec) keeps that pipe's write end open for its
        /// whole life: whoever reads the pipe to its end waits for the daemon to exit.
        /// glibc 2.34+ closes them in the child (`posix_spawn_file_actions_addclosefrom_np`,
        /// looked up at run time: Swift's Glibc module does not declare it), so no descriptor
        /// opened in between slips through; older C libraries close the ones open now.
        static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
                unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3) == 0
            {
                return
            }
            for descriptor in inheritableDescriptors() where descriptor > 2 {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
    #endif

    /// Open descriptors without close-on-exec, which a child would otherwise inherit.
    private static func inheritableDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }.filter { descriptor in
            let flags = fcntl(descriptor, F_GETFD)
            return flags >= 0 && flags & FD_CLOEXEC == 0
        }
    }

    /// Waits for `pid` on a thread of its own and returns its exit status (128 + signal if killed).
    private static func reap(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                let signal = status & 0x7f
                continuation.resume(returning: signal == 0 ? (status >> 8) & 0xff : 128 + signal)
            }
            thread.name = "pgfast-waitpid"
            thread.start()
        }
    }

    private static func spawnError(_ executable: String, _ reason: String) -> EmbeddedServerError {
        EmbeddedServerError(code: .commandFailed, message: "Could not run \(executable): \(reason).")
    }
}
