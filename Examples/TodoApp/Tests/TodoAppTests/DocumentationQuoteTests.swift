import Foundation
import Testing

/// Every ```swift block in PGFast's DocC catalogs is a quote of code in this package
/// (which the build compiles and the tests run), so no article teaches code that does
/// not compile.
@Suite struct DocumentationQuoteTests {
    static let package = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let catalogs = ["Sources/PGFast/PGFast.docc", "Sources/PGFastTesting/PGFastTesting.docc"].map {
        package.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent($0)
    }

    /// Pages whose code comes from elsewhere: the templates article quotes
    /// Examples/TemplateBuild, which PGFast's TemplateArticleTests checks it against.
    static let quotedElsewhere: Set<String> = ["TemplatesFromYourOwnCode.md"]

    /// Lines without their indentation and trailing blanks, blank lines dropped.
    static func normalized(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    static func files(in directory: URL, suffix: String) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? [])
            .filter { $0.lastPathComponent.hasSuffix(suffix) && !$0.path.contains("/.build/") }
    }

    /// The ```swift blocks of a Markdown text.
    static func swiftBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" {
                current = []
            } else if current != nil, trimmed == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(String(line))
            }
        }
        return blocks
    }

    static func contains(_ haystack: [String], _ needle: [String]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { start in
            Array(haystack[start..<(start + needle.count)]) == needle
        }
    }

    @Test func everySwiftBlockIsQuotedFromCompiledCode() throws {
        let sources =
            (Self.files(in: Self.package.appendingPathComponent("Sources"), suffix: ".swift")
            + Self.files(in: Self.package.appendingPathComponent("Tests"), suffix: ".swift")
            + [Self.package.appendingPathComponent("Package.swift")])
            .map { Self.normalized(try! String(contentsOf: $0, encoding: .utf8)) }
        var articles = 0
        for catalog in Self.catalogs {
            let pages = Self.files(in: catalog, suffix: ".md")
            #expect(pages.count > 1, "\(catalog.path) has articles")
            for page in pages where !Self.quotedElsewhere.contains(page.lastPathComponent) {
                articles += 1
                for block in Self.swiftBlocks(try String(contentsOf: page, encoding: .utf8)) {
                    let lines = Self.normalized(block)
                    #expect(
                        sources.contains { Self.contains($0, lines) },
                        "\(page.lastPathComponent): this block is not in Examples/TodoApp's code:\n\(block)")
                }
            }
        }
        #expect(articles >= 10)
    }
}
