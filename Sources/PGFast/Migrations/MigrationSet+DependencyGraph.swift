extension MigrationSet {
    /// How ``dependencyGraph(format:)`` draws the graph.
    public enum GraphFormat: String, Sendable, Hashable, CaseIterable {
        /// One line per migration in apply order, dependencies indented below it.
        case text
        /// Graphviz: `pgfast schema deps --format dot | dot -Tsvg > deps.svg`.
        case dot
        /// A Mermaid flowchart, which GitHub renders inside a `mermaid` code block.
        case mermaid
    }

    /// The `depends_on` graph, for `pgfast schema deps`.
    ///
    /// Edges point from a migration to those that depend on it, the direction they are
    /// applied in. Migrations that run outside a transaction are marked.
    ///
    /// ```swift
    /// print(set.dependencyGraph(format: .text))
    /// // 20250101000000 create_users
    /// // 20250102000000 create_orders
    /// //     depends on 20250101000000 create_users
    /// ```
    public func dependencyGraph(format: GraphFormat = .text) -> String {
        switch format {
        case .text: textGraph()
        case .dot: dotGraph()
        case .mermaid: mermaidGraph()
        }
    }

    private func textGraph() -> String {
        var lines: [String] = []
        for migration in migrations {
            lines.append(
                "\(migration.version) \(migration.name)" + (migration.runsInTransaction ? "" : " (no transaction)"))
            for dependency in migration.dependencies {
                lines.append("    depends on \(dependency)" + (self[version: dependency].map { " \($0.name)" } ?? ""))
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    private func dotGraph() -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        }
        func quoted(_ text: String) -> String { "\"\(escaped(text))\"" }
        var lines = ["digraph migrations {", "    rankdir=LR;", "    node [shape=box];"]
        for migration in migrations {
            let style = migration.runsInTransaction ? "" : ", style=dashed"
            let label = "\(escaped(migration.version))\\n\(escaped(migration.name))"
            lines.append("    \(quoted(migration.version)) [label=\"\(label)\"\(style)];")
        }
        for migration in migrations {
            for dependency in migration.dependencies {
                lines.append("    \(quoted(dependency)) -> \(quoted(migration.version));")
            }
        }
        lines.append("}")
        return lines.map { $0 + "\n" }.joined()
    }

    private func mermaidGraph() -> String {
        func node(_ version: String) -> String {
            "m" + version.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
        var lines = ["graph LR"]
        for migration in migrations {
            let label = "\(migration.version) \(migration.name)".replacingOccurrences(of: "\"", with: "#quot;")
            let shape = migration.runsInTransaction ? "[\"\(label)\"]" : "[/\"\(label)\"/]"
            lines.append("    \(node(migration.version))\(shape)")
        }
        for migration in migrations {
            for dependency in migration.dependencies {
                lines.append("    \(node(dependency)) --> \(node(migration.version))")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }
}
