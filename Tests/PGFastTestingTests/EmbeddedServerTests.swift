import Foundation
import Testing

@testable import PGFastTesting

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Against real PostgreSQL binaries: the shared cluster, and private clusters in temporary directories.
@Suite struct EmbeddedServerTests {
    // MARK: Shared cluster

    @Test func sharedTwiceReturnsTheSameRunningServer() async throws {
        let first = try await EmbeddedServer.shared()
        let second = try await EmbeddedServer.shared()
        #expect(first === second)
        #expect(first.port == second.port)
        #expect(await first.isRunning())
        #expect(first.directory.hasPrefix(EmbeddedServer.defaultDirectory + "/pg"))

        let attached = try #require(try await EmbeddedServer.sharedIfRunning())
        #expect(attached.port == first.port)
        #expect(attached.directory == first.directory)
    }

    @Test func sharedServerAcceptsConnectionsOverSocketAndTCP() async throws {
        let server = try await EmbeddedServer.shared()
        #expect(try await psql(server.socketURL, "select 1") == "1")
        #expect(try await psql(server.url, "select current_user") == "postgres")
        #expect(try await psql(server.url(database: "template1"), "select current_database()") == "template1")
    }

    @Test func sharedServerIsTunedForTests() async throws {
        let server = try await EmbeddedServer.shared()
        let settings = try await psql(
            server.socketURL,
            """
            select concat_ws(',', current_setting('fsync'), current_setting('synchronous_commit'),
                current_setting('full_page_writes'), current_setting('wal_level'),
                current_setting('max_connections'), current_setting('jit'), current_setting('autovacuum'),
                current_setting('TimeZone'), current_setting('listen_addresses'))
            """
        )
        #expect(settings == "off,off,off,minimal,1000,off,off,UTC,127.0.0.1")
        #expect(try await psql(server.socketURL, "show server_encoding") == "UTF8")
        #expect(try await psql(server.socketURL, "show server_version").hasPrefix(server.serverVersion))
    }

    @Test func urlsNameTheDatabaseAndSocket() async throws {
        let server = try await EmbeddedServer.shared()
        #expect(server.url == "postgresql://postgres@127.0.0.1:\(server.port)/postgres")
        #expect(
            server.socketURL(database: "app test")
                == "postgresql://postgres@/app%20test?host=\(server.socketDirectory)&port=\(server.port)"
        )
    }

    // MARK: Private clusters

    @Test func privateClusterStopsAndRestartsOnItsPort() async throws {
        try await withPrivateCluster { server in
            #expect(server.createdCluster)
            #expect(await server.isRunning())
            #expect(FileManager.default.fileExists(atPath: server.logFile))

            try await server.stop()
            #expect(await !server.isRunning())
            try await server.stop()  // stopping a stopped server is fine

            try await server.restart()
            #expect(await server.isRunning())
            #expect(try await psql(server.socketURL, "select 1") == "1")

            try await server.restart()
            #expect(try await psql(server.url, "select 2") == "2")

            let again = try await EmbeddedServer.start(directory: server.directory)
            #expect(!again.createdCluster)
            #expect(again.port == server.port)
        }
    }

    @Test func concurrentStartsInitializeOnce() async throws {
        let directory = temporaryClusterDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        async let first = EmbeddedServer.start(directory: directory)
        async let second = EmbeddedServer.start(directory: directory)
        let servers = try await [first, second]
        #expect(servers.filter(\.createdCluster).count == 1)
        #expect(servers[0].port == servers[1].port)
        let answer = try? await psql(servers[1].socketURL, "select 1")
        #expect(answer == "1")
        try await servers[0].stop()
    }

    @Test func startMovesToANewPortWhenItsPortIsTaken() async throws {
        try await withPrivateCluster { server in
            try await server.stop()
            let listener = try occupyLoopbackPort(server.port)
            defer { close(listener) }

            let moved = try await EmbeddedServer.start(directory: server.directory)
            #expect(moved.port != server.port)
            #expect(try await psql(moved.socketURL, "select 1") == "1")
            try await moved.stop()
        }
    }

    @Test func unfinishedInitdbIsNotMistakenForACluster() async throws {
        let directory = temporaryClusterDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let staging = directory + "/data.initdb"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Data("15".utf8).write(to: URL(fileURLWithPath: staging + "/PG_VERSION"))

        let server = try await EmbeddedServer.start(directory: directory)
        #expect(server.createdCluster)
        #expect(try await psql(server.socketURL, "select 1") == "1")
        try await server.stop()
    }

    // MARK: Errors

    @Test func emptyBinDirectoryIsReported() async throws {
        let empty = temporaryClusterDirectory()
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }

        let options = EmbeddedServer.Options(environment: ["PGFAST_PG_BINDIR": empty, "PATH": "/usr/bin:/bin"])
        let error = try await #require(throws: EmbeddedServerError.self) {
            try await EmbeddedServer.start(directory: empty + "/cluster", options: options)
        }
        #expect(error.code == .binariesNotFound)
        #expect(error.message.contains("PGFAST_PG_BINDIR"))
        #expect(error.message.contains("initdb"))
        #expect(!FileManager.default.fileExists(atPath: empty + "/cluster"))
    }

    @Test(.enabled(if: geteuid() == 0, "only root has to switch users"))
    func missingUnprivilegedUserIsReported() async throws {
        let options = EmbeddedServer.Options(user: "pgfast-no-such-user")
        let error = try await #require(throws: EmbeddedServerError.self) {
            try await EmbeddedServer.start(directory: temporaryClusterDirectory(), options: options)
        }
        #expect(error.code == .noUnprivilegedUser)
        #expect(error.message.contains("useradd"))
    }

    @Test func versionsAreParsed() {
        let parse = EmbeddedServer.Binaries.parseVersion
        #expect(parse("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n") == "15.18")
        #expect(parse("postgres (PostgreSQL) 17beta1\n") == "17beta1")
        #expect(parse("no version here") == nil)

        let major = EmbeddedServer.Binaries.majorVersion
        #expect(major("15.18") == "15")
        #expect(major("17beta1") == "17")
        #expect(major("16devel") == "16")
        #expect(major("9.6.24") == "9.6")
    }

    @Test func errorDescriptionIncludesOutputAndLog() {
        let error = EmbeddedServerError(
            code: .startFailed,
            message: "PostgreSQL did not start.",
            output: "FATAL:  boom\n",
            logFile: "/tmp/x/postgres.log"
        )
        #expect(error.description.contains("startFailed"))
        #expect(error.description.contains("    FATAL:  boom"))
        #expect(error.description.contains("Server log: /tmp/x/postgres.log"))
    }
}

// MARK: Helpers

/// A new, short (socket paths are limited) directory path under the temporary directory.
private func temporaryClusterDirectory() -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("pgfast-test-\(UUID().uuidString.prefix(8))").path
}

/// Starts a cluster in a temporary directory, and always stops and deletes it afterwards.
private func withPrivateCluster(_ body: (EmbeddedServer) async throws -> Void) async throws {
    let directory = temporaryClusterDirectory()
    do {
        let server = try await EmbeddedServer.start(directory: directory)
        do {
            try await body(server)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    } catch {
        try? FileManager.default.removeItem(atPath: directory)
        throw error
    }
    try FileManager.default.removeItem(atPath: directory)
}

/// Runs a query with `psql` (the libpq runtime is tested elsewhere) and returns its unaligned output.
private func psql(_ url: String, _ sql: String) async throws -> String {
    let result = try await EmbeddedServer.ChildProcess.run("/usr/bin/psql", [url, "-X", "-Atc", sql])
    guard result.succeeded else {
        throw EmbeddedServerError(code: .commandFailed, message: "psql failed", output: result.output)
    }
    return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Occupies a loopback port the way another program would.
private func occupyLoopbackPort(_ port: Int) throws -> Int32 {
    #if canImport(Darwin)
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #else
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0, listen(descriptor, 1) == 0 else {
        close(descriptor)
        throw EmbeddedServerError(code: .startFailed, message: "could not listen on \(port)")
    }
    return descriptor
}
