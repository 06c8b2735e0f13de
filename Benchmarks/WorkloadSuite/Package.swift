// swift-tools-version:6.1
import PackageDescription

// The issue-4 benchmark's test suite: 100 tests on ../shared/workload (50 migrations,
// 3 fixture files), each on its own clone. `PGFastBench clones` times `swift test` here.
let package = Package(
    name: "WorkloadSuite",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PGFast", path: "../..")
    ],
    targets: [
        .testTarget(
            name: "WorkloadTests",
            dependencies: [
                .product(name: "PGFast", package: "PGFast"),
                .product(name: "PGFastTesting", package: "PGFast"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
