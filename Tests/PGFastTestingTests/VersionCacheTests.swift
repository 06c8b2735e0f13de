import Foundation
import Testing

@testable import PGFastTesting

/// The remembered `postgres --version`: asked once per binary, asked again when the binary changes.
@Suite struct VersionCacheTests {
    @Test func aBinaryIsAskedOnceUntilItChanges() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgfast-versions-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = directory.appendingPathComponent("versions").path
        let binary = directory.appendingPathComponent("postgres").path
        let other = directory.appendingPathComponent("postgres-16").path
        try "15".write(toFile: binary, atomically: true, encoding: .utf8)
        try "16".write(toFile: other, atomically: true, encoding: .utf8)
        var asked = 0
        func version(_ path: String, _ answer: String) async -> String {
            await EmbeddedServer.VersionCache.version(of: path, in: cache) {
                asked += 1
                return answer
            }
        }
        #expect(await version(binary, "15.18") == "15.18")
        #expect(await version(binary, "wrong") == "15.18")
        #expect(await version(other, "16.2") == "16.2")
        #expect(await version(binary, "wrong") == "15.18")
        #expect(asked == 2)
        // A package upgrade replaces the binary: another size and time, asked again.
        try "15 upgraded".write(toFile: binary, atomically: true, encoding: .utf8)
        #expect(await version(binary, "15.19") == "15.19")
        #expect(await version(other, "wrong") == "16.2")
        #expect(asked == 3)
        // A cache that cannot be read is only a question to the binary.
        try Data([0xff, 0xfe, 0x00]).write(to: URL(fileURLWithPath: cache))
        #expect(await version(binary, "15.19") == "15.19")
        #expect(asked == 4)
        #expect(await version(binary, "wrong") == "15.19")
        #expect(asked == 4)
    }

    @Test func aBinaryThatCannotBeFoundIsAskedEveryTime() async throws {
        var asked = 0
        for _ in 0..<2 {
            let version = await EmbeddedServer.VersionCache.version(
                of: "/nonexistent/postgres", in: "/nonexistent/cache"
            ) {
                asked += 1
                return "x"
            }
            #expect(version == "x")
        }
        #expect(asked == 2)
    }
}
