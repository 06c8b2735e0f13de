import Foundation
@_spi(PGFastInternal) import PGFast
import Testing

@testable import PGFastTesting

/// The article "Templates from your own code" shows the compiled example of
/// `Examples/TemplateBuild` verbatim: each `// snippet.start … // snippet.end` region
/// of the example must appear in it as it is.
@Suite struct TemplateArticleTests {
    static let root = URL(fileURLWithPath: ProjectRoot.find())

    /// The text between `// snippet.start NAME` and `// snippet.end` lines.
    static func snippets(in file: String) throws -> [String] {
        let lines = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            .components(separatedBy: "\n")
        var regions: [String] = []
        var current: [String]?
        for line in lines {
            if line.hasPrefix("// snippet.start ") {
                current = []
            } else if line == "// snippet.end", let region = current {
                regions.append(region.joined(separator: "\n") + "\n")
                current = nil
            } else {
                current?.append(line)
            }
        }
        return regions
    }

    @Test(arguments: [
        "Examples/TemplateBuild/Tests/TodoSchemaTests/TodoTemplate.swift",
        "Examples/TemplateBuild/Tests/TodoSchemaTests/TodoRepositoryTests.swift",
    ])
    func theArticleShowsTheCompiledExample(file: String) throws {
        let article = try String(
            contentsOf: Self.root.appendingPathComponent(
                "Sources/PGFastTesting/PGFastTesting.docc/TemplatesFromYourOwnCode.md"),
            encoding: .utf8)
        let regions = try Self.snippets(in: file)
        #expect(!regions.isEmpty, "\(file) has no snippet region")
        for region in regions {
            #expect(
                article.contains("```swift\n" + region + "```"), "the article lacks this part of \(file):\n\(region)")
        }
    }
}
