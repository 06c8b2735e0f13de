import Foundation

/// The package root: the nearest directory holding a `Package.swift`, from a source
/// file up (so `swift test --package-path …` from elsewhere works), else from the
/// working directory up.
///
/// The one implementation behind ``PathBase/package(containing:)`` and the testing
/// traits' relative paths; `PGFastTesting` reaches it through this SPI.
@_spi(PGFastInternal)
public enum ProjectRoot {
    /// The package that holds `sourceFile` (a `#filePath`), if that file is on this disk.
    public static func containing(sourceFile: String) -> String? {
        guard FileManager.default.fileExists(atPath: sourceFile) else { return nil }
        let directory = URL(fileURLWithPath: sourceFile).deletingLastPathComponent().path
        let root = find(from: directory)
        return FileManager.default.fileExists(atPath: root + "/Package.swift") ? root : nil
    }

    /// The nearest directory holding a `Package.swift` from `start` up; `start` itself when there is none.
    public static func find(from start: String = FileManager.default.currentDirectoryPath) -> String {
        var directory = URL(fileURLWithPath: start).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory.path
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return start }
            directory = parent
        }
    }
}
