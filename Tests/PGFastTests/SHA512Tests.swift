import Foundation
import Testing

@testable import PGFast

/// FIPS 180-4 test vectors for SHA-512 and SHA-384 (checked against Python's hashlib), block boundaries.
@Suite struct SHA512Tests {
    static let long =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

    @Test(arguments: [
        (
            "", "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        ),
        (
            "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        ),
        (
            long, "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039",
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        ),
        (
            String(repeating: "a", count: 1000),
            "f54480689c6b0b11d0303285d9a81b21a93bca6ba5a1b4472765dca4da45ee328082d469c650cd3b61b16d3266ab8ced",
            "67ba5535a46e3f86dbfbed8cbbaf0125c76ed549ff8b0b9e03e0c88cf90fa634fa7b12b47d77b694de488ace8d9a65967dc96df599727d3292a8d9d447709c97"
        ),
    ])
    func knownDigests(input: String, sha384: String, sha512: String) {
        #expect(SHA512.hexDigest(of: input.utf8, .sha384) == sha384)
        #expect(SHA512.hexDigest(of: input.utf8) == sha512)
    }

    @Test func paddingBoundariesMatchOneShot() {
        // 111, 112 and 128 bytes straddle the length field's block boundary.
        for count in [111, 112, 127, 128, 129, 239, 240] {
            let bytes = [UInt8](repeating: 0x61, count: count)
            var pieces = SHA512(.sha384)
            pieces.update(bytes.prefix(7))
            pieces.update(bytes.dropFirst(7))
            #expect(pieces.hexDigest() == SHA512.hexDigest(of: bytes, .sha384), "\(count) bytes")
            #expect(SHA512.hexDigest(of: bytes, .sha384).count == 96)
        }
    }
}
