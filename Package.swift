// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "PGFast",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PGFast", targets: ["PGFast"]),
        .library(name: "PGFastTesting", targets: ["PGFastTesting"]),
        .executable(name: "pgfast", targets: ["PGFastCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        // `swift package generate-documentation`: a command plugin, never linked into PGFast's products.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "PGFast",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "PGFastTesting",
            dependencies: [
                "PGFast",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Named PGFastCLI (not "pgfast") so it cannot clash with PGFast on a case-insensitive disk.
        .executableTarget(
            name: "PGFastCLI",
            dependencies: [
                "PGFast",
                "PGFastTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PGFastTests", dependencies: ["PGFast", "PGFastTesting", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "PGFastTestingTests", dependencies: ["PGFastTesting"]),
        .testTarget(name: "PGFastCLITests", dependencies: ["PGFastCLI", "PGFast", "PGFastTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
