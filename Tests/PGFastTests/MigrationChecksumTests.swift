import Foundation
import Testing

@testable import PGFast

@Suite("Migration checksums")
struct MigrationChecksumTests {
    @Test func upOnlyEqualsSha256sumOfTheFile() {
        // `printf 'SELECT 1;\n' | sha256sum`
        #expect(
            Migration.checksum(up: Data("SELECT 1;\n".utf8), down: nil)
                == "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd")
    }

    @Test func lineEndsAndBOMDoNotMatter() {
        let lf = Migration.checksum(up: Data("SELECT 1;\nSELECT 2;\n".utf8), down: Data("DROP;\n".utf8))
        let crlf = Migration.checksum(
            up: Data([0xEF, 0xBB, 0xBF] + Array("SELECT 1;\r\nSELECT 2;\r\n".utf8)), down: Data("DROP;\r".utf8))
        #expect(lf == crlf)
    }

    @Test func downFileIsPartOfTheChecksum() {
        let up = Data("SELECT 1;\n".utf8)
        #expect(Migration.checksum(up: up, down: nil) != Migration.checksum(up: up, down: Data()))
        #expect(Migration.checksum(up: up, down: Data("a".utf8)) != Migration.checksum(up: up, down: Data("b".utf8)))
        // The separator keeps "ab" + "" apart from "a" + "b".
        #expect(
            Migration.checksum(up: Data("ab".utf8), down: Data())
                != Migration.checksum(up: Data("a".utf8), down: Data("b".utf8)))
    }

    /// Reference values computed outside Swift (Python hashlib) from the fixture files.
    @Test func matchesTheDocumentedLayout() throws {
        let set = try MigrationSet.load(directories: [TestFixtures.url("migrations/good")])
        #expect(
            set[version: "20250101000000"]?.checksum
                == "8e7f1dc63860be51d37c3750a4f29cd94cc132948e94753cd6199af06f762dfa")
        // No down file: plain `sha256sum` of the up file.
        #expect(
            set[version: "20250101120000"]?.checksum
                == "d2d36ca4af38c77ce1d50e6708ac7a5de24b66962b5eb875cf0f0ceaec34ccd4")
        let crlf = try MigrationSet.load(directories: [TestFixtures.url("migrations/crlf_bom")])
        #expect(crlf.migrations.first?.checksum == "a151a1abc55b7fe5cde605655ba01b96a4b602b57d788bee95cc90cf8bedf028")
    }

    @Test func pgdbmChecksumMatchesPython() throws {
        let data = try Data(contentsOf: TestFixtures.url("migrations/pgdbm_style/001_initial.sql"))
        #expect(Migration.pgdbmChecksum(data) == "217b92abab13f76e79b5368f07c83322b9c113da95ed4e58a6a23a9b96218a61")
    }
}
