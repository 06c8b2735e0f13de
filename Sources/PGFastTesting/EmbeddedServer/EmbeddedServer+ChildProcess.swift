import Foundation

extension EmbeddedServer {
    /// Runs a command without blocking Swift's cooperative thread pool.
    ///
    /// Termination is awaited through `terminationHandler` and a continuation instead of
    /// `waitUntilExit()`, which would park a pool thread. Output (stdout and stderr
    /// interleaved) goes to a temporary file rather than a pipe, so a chatty child can never
    /// fill a pipe buffer and deadlock, and a daemon the child leaves behind (`pg_ctl start`)
    /// cannot hold a pipe open that we would wait on.
    enum ChildProcess {
        /// The exit status and everything the command printed.
        struct Result: Sendable {
            var status: Int32
            var output: String

            var succeeded: Bool { status == 0 }
        }

        /// Runs `executable` with `arguments` and returns once it has exited.
        static func run(
            _ executable: String,
            _ arguments: [String],
            currentDirectory: String? = nil,
            environment: [String: String]? = nil
        ) async throws -> Result {
            let outputPath = FileManager.default.temporaryDirectory
                .appendingPathComponent("pgfast-\(UUID().uuidString).out").path
            guard FileManager.default.createFile(atPath: outputPath, contents: nil),
                let outputHandle = FileHandle(forWritingAtPath: outputPath)
            else {
                throw EmbeddedServerError(
                    code: .commandFailed,
                    message: "Could not create a temporary file for the output of \(executable) at \(outputPath)."
                )
            }
            defer {
                try? outputHandle.close()
                try? FileManager.default.removeItem(atPath: outputPath)
            }

            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            if let currentDirectory {
                process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory)
            }
            if let environment {
                process.environment = environment
            }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = outputHandle
            process.standardError = outputHandle

            let status: Int32 = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in
                    continuation.resume(returning: finished.terminationStatus)
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(
                        throwing: EmbeddedServerError(
                            code: .commandFailed,
                            message: "Could not run \(executable): \(error)"
                        )
                    )
                }
            }

            let data = FileManager.default.contents(atPath: outputPath) ?? Data()
            return Result(status: status, output: String(decoding: data, as: UTF8.self))
        }
    }
}
