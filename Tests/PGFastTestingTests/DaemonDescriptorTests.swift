import Foundation
import Testing

@testable import PGFastTesting

#if canImport(Glibc)
    import Glibc

    /// A daemon PGFast starts (a postmaster; the tests' PgBouncer) inherits no descriptor but
    /// stdin, stdout and stderr: a pipe another thread had open at that moment, held by a
    /// server that outlives the run, kept a CLI test reading it until the run was killed.
    @Suite struct DaemonDescriptorTests {
        @Test func aSpawnedChildInheritsNoPipeOfTheParent() throws {
            let pipe = Pipe()  // Foundation's pipes are not close-on-exec
            // Copies far above what the child opens itself (`ls` reads the directory with fd 3).
            let leaked = [pipe.fileHandleForReading.fileDescriptor, pipe.fileHandleForWriting.fileDescriptor].map {
                fcntl($0, F_DUPFD, Int32(400))
            }
            defer { for descriptor in leaked { close(descriptor) } }
            #expect(leaked.allSatisfy { $0 >= 400 })
            let listing = FileManager.default.temporaryDirectory.appendingPathComponent(
                "pgfast-fds-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: listing) }

            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, listing.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            EmbeddedServer.ChildProcess.closeInheritedDescriptors(&actions)
            let argv: [UnsafeMutablePointer<CChar>?] =
                ["/bin/ls", "/proc/self/fd"].map { (text: String) in strdup(text) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid = pid_t()
            #expect(posix_spawn(&pid, "/bin/ls", &actions, nil, argv, environ) == 0)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            #expect(status == 0)

            let open = Set(
                try String(contentsOf: listing, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) })
            #expect(open.contains(1))
            for descriptor in leaked {
                #expect(!open.contains(descriptor), "inherited \(descriptor): \(open.sorted())")
            }
        }
    }
#endif
