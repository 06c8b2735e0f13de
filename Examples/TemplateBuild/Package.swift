// swift-tools-version:6.1
import PackageDescription

// The compiled example behind the PGFastTesting article "Templates from your own code":
// an app whose schema is made by postgres-nio code (as hummingbird-postgres migrations
// are), tested on isolated clones of a `.build(key:)` template.
//   swift test --package-path Examples/TemplateBuild
let package = Package(
    name: "TemplateBuild",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PGFast", path: "../.."),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "TodoSchema",
            dependencies: [.product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "TodoSchemaTests",
            dependencies: [
                "TodoSchema",
                .product(name: "PGFastTesting", package: "PGFast"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
