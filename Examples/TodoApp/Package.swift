// swift-tools-version:6.1
import PackageDescription

// A Hummingbird 2 app on PGFast: the runtime in the app, the isolation traits in its tests.
// `swift test --package-path Examples/TodoApp` from the repository root runs its suite.
let package = Package(
    name: "TodoApp",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "todo-server", targets: ["TodoServer"])
    ],
    dependencies: [
        // `name:` lets the products below say `package: "PGFast"` whatever the clone's folder is called.
        .package(name: "PGFast", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // The app as a library, so its tests build it the way the server does.
        .target(
            name: "TodoApp",
            dependencies: [
                .product(name: "PGFast", package: "PGFast"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(name: "TodoServer", dependencies: ["TodoApp"]),
        // Code the DocC articles quote, so every example there compiles (and the tests run it).
        .target(name: "PGFastGuide", dependencies: [.product(name: "PGFast", package: "PGFast")]),
        .testTarget(
            name: "TodoAppTests",
            dependencies: [
                "TodoApp",
                "PGFastGuide",
                .product(name: "PGFastTesting", package: "PGFast"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
