extension MigrationSet {
    /// Sorts migrations topologically, lowest ready version first, and reports unknown
    /// dependencies and cycles. `dependencyLines` gives each version's `depends_on` line.
    static func applyOrder(
        _ migrations: [Migration], dependencyLines: [String: Int],
        by precedes: (String, String) -> Bool = Migration.versionPrecedes
    ) -> (ordered: [Migration], errors: [MigrationError]) {
        var errors: [MigrationError] = []
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        let known = Set(byVersion.keys)
        var unmet: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for migration in migrations.sorted(by: { precedes($0.version, $1.version) }) {
            var dependencies: Set<String> = []
            for dependency in migration.dependencies {
                guard known.contains(dependency) else {
                    errors.append(
                        MigrationError(
                            code: .unknownDependency, file: migration.upFile.path,
                            line: dependencyLines[migration.version],
                            message: "depends_on \(dependency), but no migration has that version",
                            hint: "check the version, or add the missing migration to the directories loaded"))
                    continue
                }
                dependencies.insert(dependency)
            }
            unmet[migration.version] = dependencies.count
            for dependency in dependencies { dependents[dependency, default: []].append(migration.version) }
        }

        // Kahn's algorithm; `ready` is kept sorted descending so `popLast` yields the lowest version.
        var ready = unmet.filter { $0.value == 0 }.map(\.key).sorted { precedes($1, $0) }
        var ordered: [Migration] = []
        while let version = ready.popLast() {
            ordered.append(byVersion[version]!)
            for dependent in dependents[version] ?? [] {
                unmet[dependent]! -= 1
                guard unmet[dependent] == 0 else { continue }
                let position = ready.partitioningIndex { precedes($0, dependent) }
                ready.insert(dependent, at: position)
            }
        }
        if ordered.count < migrations.count {
            errors += cycleErrors(stuck: unmet.filter { $0.value > 0 }.map(\.key), byVersion, dependencyLines)
        }
        return (ordered, errors)
    }

    /// Finds each cycle among migrations that could not be ordered and describes it as
    /// `a -> b -> a` ("a depends on b, which depends on a"), starting at its lowest version.
    private static func cycleErrors(
        stuck: [String], _ byVersion: [String: Migration], _ dependencyLines: [String: Int]
    ) -> [MigrationError] {
        let stuckSet = Set(stuck)
        var explained: Set<String> = []
        var cycles: [[String]] = []
        for start in stuck.sorted(by: Migration.versionPrecedes) where !explained.contains(start) {
            // Every stuck migration has a stuck dependency, so this walk always closes a loop
            // or reaches a loop found before.
            var path: [String] = []
            var positions: [String: Int] = [:]
            var current = start
            while !explained.contains(current) {
                if let position = positions[current] {
                    var cycle = Array(path[position...])
                    let lowest = cycle.indices.min { Migration.versionPrecedes(cycle[$0], cycle[$1]) }!
                    cycle = Array(cycle[lowest...] + cycle[..<lowest])
                    cycles.append(cycle)
                    break
                }
                positions[current] = path.count
                path.append(current)
                current = byVersion[current]!.dependencies.filter(stuckSet.contains).min(by: Migration.versionPrecedes)!
            }
            explained.formUnion(path)
        }
        let inCycles = Set(cycles.joined())
        let blocked = stuck.filter { !inCycles.contains($0) }.sorted(by: Migration.versionPrecedes)
        return cycles.enumerated().map { index, cycle in
            let first = byVersion[cycle[0]]!
            var detail = zip(cycle, cycle.dropFirst() + [cycle[0]]).map { version, dependency in
                "\(byVersion[version]!.upFile.lastPathComponent) depends on \(dependency)"
            }.joined(separator: "; ")
            if index == 0, !blocked.isEmpty {
                detail += "; also blocked: " + blocked.joined(separator: ", ")
            }
            return MigrationError(
                code: .dependencyCycle, file: first.upFile.path, line: dependencyLines[first.version],
                message: "dependency cycle: " + (cycle + [cycle[0]]).joined(separator: " -> "),
                detail: detail,
                hint:
                    "a migration cannot depend on itself, directly or through others; remove one of these depends_on entries"
            )
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition`, for an array
    /// already partitioned by it (binary search).
    fileprivate func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsInSecondPartition(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
