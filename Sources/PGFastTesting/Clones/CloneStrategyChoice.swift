import PGFast

/// How a template's clones are made, chosen once per template and kept with it.
///
/// One sample of each strategy is noise (a 1,000-test run once picked WAL_LOG
/// from one sample and took twice as long), so FILE_COPY is the rule and
/// WAL_LOG wins only when each of ``samplesEach`` WAL_LOG clones was clearly
/// faster (by a quarter) than the fastest FILE_COPY clone; the first WAL_LOG
/// sample that is not settles it. The choice is
/// written into the template's `COMMENT ON DATABASE` (``TemplateNote``), so
/// later runs and other processes read it instead of measuring again; a new
/// template (changed migrations) is measured afresh. On PostgreSQL 18 and
/// later, FILE_COPY copies with `file_copy_method = clone` (a reflink where
/// the file system can, a kernel-side copy elsewhere) unless the server
/// refuses it.
struct CloneStrategyChoice: Sendable, Equatable {
    /// Samples of each strategy before choosing.
    static let samplesEach = 3
    /// WAL_LOG must take less than this share of FILE_COPY's time, in every sample.
    static let clearlyFaster = 0.75

    /// Where the choice came from, for the statistics.
    enum Source: String, Sendable, Encodable {
        /// `PGFAST_CLONE_STRATEGY` said which.
        case override
        /// The template's comment held a choice an earlier run made.
        case recorded
        /// This process measured it.
        case measured
        /// The server has no `STRATEGY` option (before PostgreSQL 15).
        case serverDefault = "server_default"
    }

    var strategy: CloneStrategy?
    /// Whether FILE_COPY clones use `file_copy_method = clone` (PostgreSQL 18+).
    var cloneFiles: Bool
    var source: Source

    /// The comment's form: `clone_strategy=FILE_COPY`, `file_copy_method=clone`.
    var note: TemplateNote.Strategy {
        TemplateNote.Strategy(strategy: strategy ?? .fileCopy, cloneFiles: cloneFiles)
    }
}

/// Takes the samples and makes the choice: a pure state machine, so its rule is tested without a server.
struct CloneStrategySampler: Sendable {
    private(set) var samples: [CloneStrategy: [Duration]] = [:]
    private var underWay: [CloneStrategy: Int] = [:]
    private(set) var decision: CloneStrategy?

    /// The strategy for the next create while sampling: the one with fewer samples (done or under way), FILE_COPY first.
    mutating func next() -> CloneStrategy {
        if let decision { return decision }
        func count(_ strategy: CloneStrategy) -> Int {
            samples[strategy, default: []].count + underWay[strategy, default: 0]
        }
        let strategy: CloneStrategy
        if count(.fileCopy) >= CloneStrategyChoice.samplesEach && count(.walLog) >= CloneStrategyChoice.samplesEach {
            strategy = .fileCopy  // enough under way: the rest wait for the choice's default
        } else {
            strategy = count(.walLog) < count(.fileCopy) ? .walLog : .fileCopy
        }
        underWay[strategy, default: 0] += 1
        return strategy
    }

    /// A sample came back (`elapsed` nil: the create failed). True when this sample made the choice.
    mutating func finished(_ strategy: CloneStrategy, elapsed: Duration?) -> Bool {
        underWay[strategy, default: 1] -= 1
        guard decision == nil, let elapsed else { return false }
        samples[strategy, default: []].append(elapsed)
        let fileCopy = samples[.fileCopy, default: []]
        let walLog = samples[.walLog, default: []]
        // Settled early: more samples can only lower the fastest FILE_COPY and raise the slowest
        // WAL_LOG, so once one WAL_LOG sample is not clearly faster, FILE_COPY it is. On most
        // servers the first pair decides, and the slower WAL_LOG samples are not taken.
        if let fastestCopy = fileCopy.min(), let slowestWal = walLog.max(),
            slowestWal >= fastestCopy * CloneStrategyChoice.clearlyFaster
        {
            decision = .fileCopy
            return true
        }
        guard fileCopy.count >= CloneStrategyChoice.samplesEach, walLog.count >= CloneStrategyChoice.samplesEach
        else { return false }
        decision = Self.choose(fileCopy: fileCopy, walLog: walLog)
        return true
    }

    /// FILE_COPY, unless every WAL_LOG sample took less than ``CloneStrategyChoice/clearlyFaster`` of the fastest FILE_COPY.
    static func choose(fileCopy: [Duration], walLog: [Duration]) -> CloneStrategy {
        guard let fastestCopy = fileCopy.min(), let slowestWal = walLog.max() else { return .fileCopy }
        return slowestWal < fastestCopy * CloneStrategyChoice.clearlyFaster ? .walLog : .fileCopy
    }

    /// The samples in milliseconds, for the comment and the statistics.
    var summary: String {
        [CloneStrategy.fileCopy, .walLog].map { strategy in
            strategy.description.lowercased() + ":"
                + samples[strategy, default: []].map { String(Int($0.inMilliseconds.rounded())) }
                .joined(separator: ",")
        }.joined(separator: "/")
    }
}

/// What PGFast writes into a template's `COMMENT ON DATABASE`: `key=value` parts
/// separated by `; `, so parts written by others survive when one is updated.
enum TemplateNote {
    struct Strategy: Sendable, Equatable {
        var strategy: CloneStrategy
        var cloneFiles: Bool
    }

    static let strategyKey = "clone_strategy"
    static let methodKey = "file_copy_method"
    static let samplesKey = "clone_samples_ms"

    /// The strategy recorded in a comment, if any.
    static func strategy(in comment: String?) -> Strategy? {
        let parts = parts(of: comment)
        guard let text = parts[strategyKey], let strategy = try? CloneStrategy.parse(text) else { return nil }
        return Strategy(strategy: strategy, cloneFiles: parts[methodKey] == "clone")
    }

    /// `comment` with the strategy parts replaced (others kept as they were).
    static func setting(_ choice: Strategy, samples: String?, in comment: String?) -> String {
        let ours: Set<String> = [strategyKey, methodKey, samplesKey]
        var kept = (comment ?? "").components(separatedBy: "; ").filter { part in
            guard !part.isEmpty else { return false }
            return !ours.contains(String(part.prefix { $0 != "=" }))
        }
        kept.append("\(strategyKey)=\(choice.strategy)")
        kept.append("\(methodKey)=\(choice.cloneFiles ? "clone" : "copy")")
        if let samples { kept.append("\(samplesKey)=\(samples)") }
        return kept.joined(separator: "; ")
    }

    private static func parts(of comment: String?) -> [String: String] {
        var parts: [String: String] = [:]
        for part in (comment ?? "").components(separatedBy: "; ") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            parts[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        return parts
    }

    /// The template's comment (nil if it has none or does not exist).
    static func read(template: String, on db: Database) async throws -> String? {
        try await db.query(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = \(template)"
        ).decode(String?.self).first ?? nil
    }

    /// Records the strategy on the template, keeping the rest of its comment.
    /// (`COMMENT` takes no bind parameters: the text goes in as a quoted literal.)
    static func record(_ choice: Strategy, samples: String?, template: String, on db: Database) async throws {
        let comment = setting(choice, samples: samples, in: try await read(template: template, on: db))
        try await db.execute("COMMENT ON DATABASE \(identifier: template) IS \(literal: comment)")
    }
}
