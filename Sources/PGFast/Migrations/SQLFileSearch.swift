import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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
        for entry in entries(of: directory) {
            let name = entry.lastPathComponent
            guard !name.hasPrefix(".") else { continue }
            switch kind(of: entry) {
            case .directory:
                guard name != "node_modules", !skipping.contains(name) else { continue }
                files += sqlFiles(in: entry, skipping: skipping)
            case .other where name.hasSuffix(".sql"):
                files.append(entry)
            default:
                continue
            }
        }
        return files
    }

    private static func subdirectories(of directory: URL) -> [URL] {
        entries(of: directory).filter { entry in
            let name = entry.lastPathComponent
            return !name.hasPrefix(".") && name != "node_modules" && kind(of: entry) == .directory
        }
    }

    /// The folder's entries sorted by name; none when it cannot be read.
    private static func entries(of directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appending(path: $0) }
    }

    /// Whether `directory` holds the ``ignoreMarker`` file.
    static func isIgnored(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appending(path: ignoreMarker).path)
    }

    private enum EntryKind { case directory, linkToDirectory, other }

    /// What an entry is, from `lstat` and (for a link) `stat`: Foundation's resource values
    /// also look up the owner's name, a read of `/etc/passwd` and `/etc/group` a file.
    private static func kind(of url: URL) -> EntryKind {
        var status = stat()
        guard lstat(url.path, &status) == 0 else { return .other }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return isDirectory(url) ? .linkToDirectory : .other
        default: return .other
        }
    }
}
