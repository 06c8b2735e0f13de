/// The names PGFast gives the databases it creates, and how to read them back.
///
/// Everything starts with `pgfast_` so `pgfast test-db list` and the sweeper
/// never touch a database of yours:
/// - `pgfast_tpl_<lineage>_<key>`: a sealed template. The lineage says what it
///   is built from (directories, fixture names), the key how (file contents,
///   PGFast and server versions). One lineage keeps one template.
/// - `pgfast_build_<lineage>_<key>`: a template being built; never used as one.
/// - `pgfast_t_<owner>_<n>`: a test's clone, owned by a live process.
/// - `pgfast_ready_<lineage>_<key>_<id>`: an unused clone left for the next run.
/// - `pgfast_kept_<owner>_<n>`: a failed test's clone, kept for inspection.
enum DatabaseNames {
    static let prefix = "pgfast_"

    static func template(lineage: String, key: String) -> String { "pgfast_tpl_\(lineage)_\(key)" }
    static func build(lineage: String, key: String) -> String { "pgfast_build_\(lineage)_\(key)" }
    static func clone(owner: OwnerID, sequence: Int) -> String { "pgfast_t_\(owner.hex)_\(sequence)" }
    static func kept(owner: OwnerID, sequence: Int) -> String { "pgfast_kept_\(owner.hex)_\(sequence)" }
    static func ready(lineage: String, key: String, id: String) -> String { "pgfast_ready_\(lineage)_\(key)_\(id)" }
    static func readyPrefix(lineage: String, key: String) -> String { "pgfast_ready_\(lineage)_\(key)_" }

    enum Kind: String, Sendable {
        case template, build, clone, ready, kept
    }

    /// What a database name says about it; nil for databases that are not PGFast's.
    static func parse(_ name: String) -> (kind: Kind, owner: OwnerID?, lineage: String?, key: String?)? {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "pgfast" else { return nil }
        switch parts[1] {
        case "tpl" where parts.count == 4: return (.template, nil, parts[2], parts[3])
        case "build" where parts.count == 4: return (.build, nil, parts[2], parts[3])
        case "t": return (.clone, OwnerID(hex: parts[2]), nil, nil)
        case "kept": return (.kept, OwnerID(hex: parts[2]), nil, nil)
        case "ready" where parts.count == 5: return (.ready, nil, parts[2], parts[3])
        default: return nil
        }
    }
}

/// Identifies one process's run; its lease is an advisory lock held while the process lives.
struct OwnerID: Hashable, Sendable, CustomStringConvertible {
    let value: Int32

    /// Advisory-lock class for owner leases: "PGFT".
    static let lockClass: Int32 = 0x5047_4654
    /// Advisory-lock class for template builds: "PGFB".
    static let buildLockClass: Int32 = 0x5047_4642
    /// Advisory-lock class for an owner's clones being made, until each carries its heartbeat: "PGFC"
    /// (``OwnerLease/creating(_:on:_:)``).
    static let creationLockClass: Int32 = 0x5047_4643

    init(value: Int32) { self.value = value }

    init?(hex: String) {
        guard hex.count == 8, let bits = UInt32(hex, radix: 16) else { return nil }
        value = Int32(bitPattern: bits)
    }

    static func random() -> OwnerID {
        OwnerID(value: Int32.random(in: 1...Int32.max))
    }

    var hex: String {
        let text = String(UInt32(bitPattern: value), radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }

    var description: String { hex }
}
