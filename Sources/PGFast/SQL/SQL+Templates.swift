extension SQL {
    /// Renders `{{tables.name}}` as the quoted, schema-qualified table name and
    /// `{{schema}}` as the quoted schema, so one SQL text serves every schema a
    /// module is installed in. Without a schema, `{{tables.name}}` is `"name"`.
    ///
    /// ```swift
    /// SQL.renderTemplates("SELECT * FROM {{tables.users}}", schema: "auth")
    /// // SELECT * FROM "auth"."users"
    /// ```
    public static func renderTemplates(_ text: String, schema: String?) -> String {
        guard text.utf8.contains(UInt8(ascii: "{")), text.contains("{{") else { return text }
        var output = ""
        output.reserveCapacity(text.utf8.count + 32)
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                output += rest[open.lowerBound...]
                return output
            }
            let key = afterOpen[..<close.lowerBound].trimmingSpaces()
            if let rendered = render(key: key, schema: schema) {
                output += rendered
                rest = afterOpen[close.upperBound...]
            } else {
                // Not a template of ours (JSON in a string literal, say): keep it.
                output += "{{"
                rest = afterOpen
            }
        }
        output += rest
        return output
    }

    private static func render(key: Substring, schema: String?) -> String? {
        if key == "schema" { return schema.map(quoteIdentifier) ?? "\"public\"" }
        guard key.hasPrefix("tables.") else { return nil }
        let name = key.dropFirst("tables.".count)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" })
        else { return nil }
        let table = quoteIdentifier(String(name))
        guard let schema else { return table }
        return quoteIdentifier(schema) + "." + table
    }

    /// This SQL with its templates rendered for `schema`; binds are untouched.
    func rendered(schema: String?) -> SQL {
        var copy = self
        for index in copy.fragments.indices {
            if case .text(let piece) = copy.fragments[index] {
                copy.fragments[index] = .text(SQL.renderTemplates(piece, schema: schema))
            }
        }
        return copy
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var slice = self
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return slice
    }
}
