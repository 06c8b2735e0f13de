import Foundation

/// Finds migrations and fixtures directories and the `.sql` files in them.
///
/// Hidden folders (`.git`, `.build`, `.swiftpm`, …) and `node_modules` are never entered:
/// they are large and never hold a project's own migrations. Nor is a folder holding a
/// `.pgfast-ignore` file (``ignoreMarker``): test inputs such as deliberately broken SQL sets
/// stay usable by explicit path but are never found by discovery. Symbolic links to folders
/// are not followed, so a link loop cannot hang discovery.
enum SQLFileSearch {
    /// A file whose presence hides its folder (and everything below) from discovery.
    static let ignoreMarker = ".pgfast-ignore"

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Every folder called `name` below `root`, sorted by path; the search stops at a match,
    /// since a match is used with its subfolders. Folders marked with ``ignoreMarker`` are skipped.
    static func directories(named name: String, below root: URL) -> [URL] {
        var found: [URL] = []
        for child in subdirectories(of: root) where !isIgnored(child) {
            if child.lastPathComponent == name {
                found.append(child)
            } else {
                found += directories(named: name, below: child)
            }
        }
        return found
    }

    /// The folders listed in a colon-separated environment variable, relative ones resolved
    /// against `projectRoot`; nil when the variable is unset or empty.
    static func directories(
        fromEnvironment key: String, _ environment: [String: String], projectRoot: URL
    ) -> [URL]? {
        guard let value = environment[key] else { return nil }
        let paths = value.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !paths.isEmpty else { return nil }
        return paths.map { path in
            path.hasPrefix("/") ? URL(filePath: path) : projectRoot.appending(path: path)
        }
    }

    /// The `.sql` files in `directory` and its subfolders (except those named in `skipping`), sorted by path.
    static func sqlFiles(in directory: URL, skipping: Set<String> = []) -> [URL] {
        var files: [URL] = []
        let entries =
            (try? FileManager.default.contentsOfDirectory(
                at: directory, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey]))
            ?? []
        for entry in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            let name = entry.lastPathComponent
            guard !name.hasPrefix(".") else { continue }
            if isPlainDirectory(entry) {
                guard name != "node_modules", !skipping.contains(name) else { continue }
                files += sqlFiles(in: entry, skipping: skipping)
            } else if name.hasSuffix(".sql"), !isDirectory(entry) {
                files.append(entry)
            }
        }
        return files
    }

    private static func subdirectories(of directory: URL) -> [URL] {
        let entries =
            (try? FileManager.default.contentsOfDirectory(
                at: directory, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey]))
            ?? []
        return
            entries
            .filter { entry in
                let name = entry.lastPathComponent
                return !name.hasPrefix(".") && name != "node_modules" && isPlainDirectory(entry)
            }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Whether `directory` holds the ``ignoreMarker`` file.
    static func isIgnored(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appending(path: ignoreMarker).path)
    }

    /// A directory that is not a symbolic link.
    private static func isPlainDirectory(_ url: URL) -> Bool {
        let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
        return values?.isDirectory == true && values?.isSymbolicLink != true
    }
}
