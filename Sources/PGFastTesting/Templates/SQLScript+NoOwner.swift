import PGFast

extension SQLScript {
    /// The dump as `pg_restore --no-owner --no-privileges` would load it, for a role that is
    /// not a superuser: without the statements that hand objects to the dump's roles or grant
    /// on them. Such a role may not give its objects away nor act for other roles, and its
    /// templates need no grants: the objects it creates are its own, and so are its clones'.
    func withoutOwnershipOrPrivileges() -> SQLScript {
        var script = self
        script.statements.removeAll(where: \.setsOwnershipOrPrivileges)
        return script
    }
}

extension SQLScript.Statement {
    /// `ALTER … OWNER TO`, `GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES` and
    /// `SET|RESET SESSION AUTHORIZATION`: what `pg_dump --no-owner --no-privileges` leaves out.
    /// Read from the statement's words, which the splitter has already cut at the right `;`.
    var setsOwnershipOrPrivileges: Bool {
        let words = text.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        switch words.first {
        case "grant", "revoke":
            return true
        case "set", "reset":
            return words.dropFirst().prefix(2) == ["session", "authorization"]
        case "alter":
            if words.dropFirst().prefix(2) == ["default", "privileges"] { return true }
            return Self.endsInOwnerTo(words)
        default:
            return false
        }
    }

    /// `ALTER <kind> <name> OWNER TO <role>`, the role one identifier (quoted, it may hold
    /// spaces). Not `ALTER TABLE t RENAME [COLUMN] owner TO x`: a column called owner.
    private static func endsInOwnerTo(_ words: [String]) -> Bool {
        guard let owner = words.lastIndex(of: "owner"), owner + 2 < words.count, words[owner + 1] == "to" else {
            return false
        }
        let role = words[(owner + 2)...]
        guard role.count == 1 || (role.first!.hasPrefix("\"") && role.last!.hasSuffix("\"")) else { return false }
        let renaming: Set<String> = ["rename", "column", "constraint", "attribute"]
        return !renaming.contains(words[owner - 1])
    }
}
