import Testing

@testable import PGFast

@Suite("Dependency graph rendering")
struct MigrationDependencyGraphTests {
    let set: MigrationSet

    init() throws {
        set = try MigrationSet.load(directories: [TestFixtures.url("migrations/good")])
    }

    @Test func text() {
        #expect(
            set.dependencyGraph(format: .text) == """
                20250101000000 create_users
                20250101120000 create_audit_log
                20250102000000 create_orders
                    depends on 20250101000000 create_users
                20250103000000 index_orders_user (no transaction)
                    depends on 20250102000000 create_orders
                20250105000000 create_settings
                20250104000000 default_settings
                    depends on 20250105000000 create_settings

                """)
        #expect(set.dependencyGraph() == set.dependencyGraph(format: .text))
    }

    @Test func dot() {
        #expect(
            set.dependencyGraph(format: .dot) == #"""
                digraph migrations {
                    rankdir=LR;
                    node [shape=box];
                    "20250101000000" [label="20250101000000\ncreate_users"];
                    "20250101120000" [label="20250101120000\ncreate_audit_log"];
                    "20250102000000" [label="20250102000000\ncreate_orders"];
                    "20250103000000" [label="20250103000000\nindex_orders_user", style=dashed];
                    "20250105000000" [label="20250105000000\ncreate_settings"];
                    "20250104000000" [label="20250104000000\ndefault_settings"];
                    "20250101000000" -> "20250102000000";
                    "20250102000000" -> "20250103000000";
                    "20250105000000" -> "20250104000000";
                }

                """#)
    }

    @Test func mermaid() {
        #expect(
            set.dependencyGraph(format: .mermaid) == """
                graph LR
                    m20250101000000["20250101000000 create_users"]
                    m20250101120000["20250101120000 create_audit_log"]
                    m20250102000000["20250102000000 create_orders"]
                    m20250103000000[/"20250103000000 index_orders_user"/]
                    m20250105000000["20250105000000 create_settings"]
                    m20250104000000["20250104000000 default_settings"]
                    m20250101000000 --> m20250102000000
                    m20250102000000 --> m20250103000000
                    m20250105000000 --> m20250104000000

                """)
    }
}
