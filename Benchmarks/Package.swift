// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that the library does not depend on
// postgres-nio. Always run release builds:
//   swift run -c release --package-path Benchmarks PGFastBench runtime
let package = Package(
    name: "PGFastBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PGFast", path: ".."),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "PGFastBench",
            dependencies: [
                .product(name: "PGFast", package: "PGFast"),
                .product(name: "PGFastTesting", package: "PGFast"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
