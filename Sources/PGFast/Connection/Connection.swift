import CLibPQ
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq connection, running on a thread of its own.
///
/// Every libpq call blocks until the server answers, so the connection is an
/// actor whose executor is a dedicated thread: Swift's cooperative pool never
/// waits on the network. Most code uses a ``Database`` or a ``ConnectionPool``;
/// a bare connection is for tools and tests.
///
/// ```swift
/// let connection = try await Connection.connect(try DatabaseConfig(url: url))
/// let one = try await connection.value("SELECT \(1)::int4", as: Int.self)
/// await connection.close()
/// ```
public final actor Connection {
    nonisolated let thread: ConnectionThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    /// The `PGconn`. Written only on the connection's thread; read without
    /// isolation by the pool's health check, which runs only while the
    /// connection is idle in the pool (the pool's lock orders those accesses).
    nonisolated(unsafe) private(set) var handle: OpaquePointer?
    /// Written with `handle`, on the connection's thread; read by whoever holds
    /// the connection (its thread, or the task that leased it from the pool).
    nonisolated(unsafe) private(set) var cancelToken: CancelToken?
    #if os(Linux)
        /// Whether the socket is in ``SocketReactor``'s epoll set. Touched only
        /// by the task that holds the connection (``runLeased(_:binds:file:line:)``);
        /// the pool's lock orders one holder's accesses before the next one's.
        nonisolated(unsafe) var reactorRegistered = false
    #endif
    private let notices: NoticeSink
    #if DEBUG
        /// Who may touch libpq: checked in debug builds (see ``runLeased(_:file:line:)``).
        nonisolated let ownership = ConnectionOwnership()
    #endif
    /// Spins briefly for answers on this thread, while that pays.
    private var spinner = AnswerSpinner()
    nonisolated let logger: Logger
    nonisolated let statistics: PoolStatistics?
    nonisolated let slowQueryThreshold: Duration?
    /// When the connection was opened, for the pool's `maxLifetime`.
    public nonisolated let openedAt: ContinuousClock.Instant = .now

    private init(logger: Logger, statistics: PoolStatistics?, slowQueryThreshold: Duration?) {
        thread = ConnectionThread()
        self.logger = logger
        self.statistics = statistics
        self.slowQueryThreshold = slowQueryThreshold
        notices = NoticeSink(logger: logger)
    }

    deinit {
        if let handle { PQfinish(handle) }
        thread.shutdown()
    }

    /// Opens a connection. Blocks only the new connection's own thread.
    ///
    /// ```swift
    /// let connection = try await Connection.connect(try DatabaseConfig(url: "postgres:///app"))
    /// ```
    public static func connect(
        _ config: DatabaseConfig, logger: Logger = Logger(label: "pgfast")
    ) async throws -> Connection {
        try await connect(config, logger: logger, statistics: nil)
    }

    static func connect(
        _ config: DatabaseConfig, logger: Logger, statistics: PoolStatistics?
    ) async throws -> Connection {
        let connection = Connection(
            logger: logger, statistics: statistics, slowQueryThreshold: config.slowQueryThreshold)
        try await connection.open(config.connectionKeywords())
        return connection
    }

    private func open(_ keywords: [(String, String)]) throws {
        let connection = withCStringArray(keywords.map(\.0)) { keys in
            withCStringArray(keywords.map(\.1)) { values in
                PQconnectdbParams(keys, values, 0)
            }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(
                code: .connectionFailed,
                message: "cannot connect: " + Redaction.scrub(message.trimmingTrailingNewlines(), keywords: keywords))
        }
        handle = connection
        cancelToken = CancelToken(connection: connection)
        notices.install(on: connection)
    }

    /// Closes the connection. Later statements throw ``PostgresError/Code/connectionClosed``.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        cancelToken = nil
    }

    /// Whether the connection is open and in good state.
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server's version as a number: 150018 for 15.18.
    public var serverVersion: Int {
        handle.map { Int(PQserverVersion($0)) } ?? 0
    }

    /// The backend process id (what `pg_stat_activity.pid` shows).
    public var backendPID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    /// A server parameter reported at connect or since (`server_version`, `TimeZone`…).
    public func parameterStatus(_ name: String) -> String? {
        guard let handle, let value = PQparameterStatus(handle, name) else { return nil }
        return String(cString: value)
    }

    // MARK: - State the pool reads while it owns the connection

    /// Whether the connection can go back to the pool: open, outside any
    /// transaction, and with nothing unexpected waiting on its socket (a server
    /// that restarted or closed the session says so there).
    ///
    /// Called only by the pool, while no statement runs on the connection.
    nonisolated func isReusable() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK,
            PQtransactionStatus(handle) == PQTRANS_IDLE
        else { return false }
        #if os(Linux)
            // A socket in the reactor's (edge-triggered) set reports whatever
            // arrives: if nothing did since its last statement, skip the poll().
            if reactorRegistered, !SocketReactor.shared.hasPendingEvents(PQsocket(handle)) { return true }
        #endif
        // An idle session has nothing to say. Anything readable is a
        // notification, or a server saying goodbye followed by end-of-file:
        // read until the socket is quiet or libpq sees the connection is gone.
        for _ in 0..<8 {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 0)
            if ready < 0 { return false }
            if ready == 0 { return PQstatus(handle) == CONNECTION_OK }
            if PQconsumeInput(handle) == 0 { return false }
            _ = PQisBusy(handle)
            while let notify = PQnotifies(handle) { PQfreemem(notify) }
        }
        return false
    }

    /// Whether the connection is open and outside any transaction, by libpq's
    /// state alone (no system call): for taking a connection back.
    nonisolated func isReusableWithoutIO() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        return PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// libpq's transaction status, read while the caller owns the connection.
    nonisolated var isIdle: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    // MARK: - Running statements

    /// Runs one statement with the extended protocol: binds as `$n`, results in binary.
    ///
    /// ```swift
    /// let rows = try await connection.query("SELECT id FROM users WHERE email = \(email)")
    /// ```
    public func query(_ sql: SQL, file: String = #fileID, line: Int = #line) async throws -> Rows {
        try sql.throwIfUnencodable(file: file, line: line)
        return try await run(sql.text, binds: sql.binds, file: file, line: line)
    }

    func run(_ text: String, binds: [PostgresBind], file: String, line: Int) async throws -> Rows {
        let handle = try openHandle()
        let result = try await statement(text) { handle in execute(handle, text, binds) }
        return try Rows(
            result: QueryResult(
                taking: check(result, handle: handle, text: text, binds: binds, file: file, line: line)))
    }

    /// Sends one statement with the extended protocol, results in binary; 1 when sent.
    nonisolated static func sendQuery(_ handle: OpaquePointer, _ text: String, _ binds: [PostgresBind]) -> Int32 {
        guard !binds.isEmpty else { return PQsendQueryParams(handle, text, 0, nil, nil, nil, nil, 1) }
        return BindArrays(binds).withPointers { types, values, lengths, formats in
            PQsendQueryParams(handle, text, Int32(binds.count), types, values, lengths, formats, 1)
        }
    }

    /// Keeps the newest result of a statement (freeing the one before); false when no
    /// more should be read: a COPY waits for data, or the connection is lost.
    static func keep(_ result: OpaquePointer, as last: inout OpaquePointer?, handle: OpaquePointer) -> Bool {
        if let last { PQclear(last) }
        last = result
        let status = PQresultStatus(result)
        return
            !(status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH
            || PQstatus(handle) == CONNECTION_BAD)
    }

    private func execute(_ handle: OpaquePointer, _ text: String, _ binds: [PostgresBind]) -> OpaquePointer? {
        if spinner.isEnabled {
            if Self.sendQuery(handle, text, binds) == 1 {
                spinner.begin()
                defer { spinner.end() }
                spinner.spin(handle)
                var last: OpaquePointer?
                while let result = PQgetResult(handle), Self.keep(result, as: &last, handle: handle) {}
                return last
            }
        }
        if binds.isEmpty {
            return PQexecParams(handle, text, 0, nil, nil, nil, nil, 1)
        }
        return BindArrays(binds).withPointers { types, values, lengths, formats in
            PQexecParams(handle, text, Int32(binds.count), types, values, lengths, formats, 1)
        }
    }

    /// Runs a script of many statements with the simple protocol (no binds),
    /// as one implicit transaction unless it has its own `BEGIN`/`COMMIT`.
    ///
    /// ```swift
    /// try await connection.execute(script: "CREATE TABLE a (id int); CREATE TABLE b (id int);")
    /// ```
    public func execute(script: String, file: String = #fileID, line: Int = #line) async throws {
        try NULByte.check(script, file: file, line: line)
        let handle = try openHandle()
        let result = try await statement(script) { handle in PQexec(handle, script) }
        let checked = try check(result, handle: handle, text: script, binds: [], file: file, line: line)
        PQclear(checked)
    }

    /// Ends a transaction even when the task is cancelled: cleanup must still reach the server.
    func rollback() {
        guard let handle, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    }

    /// Undoes work since a savepoint, even when the task is cancelled.
    func rollback(toSavepoint name: String) {
        guard let handle else { return }
        if let result = PQexec(handle, "ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)") {
            PQclear(result)
        }
    }

    /// Runs statements in libpq's pipeline mode: all are sent before the first
    /// answer is read, so a batch costs one round trip. They run as one implicit
    /// transaction: the first error aborts the rest.
    ///
    /// ```swift
    /// let results = try await connection.pipeline([
    ///     "INSERT INTO t VALUES (\(1))", "INSERT INTO t VALUES (\(2))", "SELECT count(*) FROM t",
    /// ])
    /// ```
    public func pipeline(_ statements: [SQL], file: String = #fileID, line: Int = #line) async throws -> [Rows] {
        guard !statements.isEmpty else { return [] }
        for sql in statements { try sql.throwIfUnencodable(file: file, line: line) }
        let prepared = statements.map { ($0.text, $0.binds) }
        let outcome = try await statement(statements[0].text) { handle in
            runPipeline(handle, prepared, file: file, line: line)
        }
        switch outcome {
        case .success(let results): return results.map { Rows(result: QueryResult(taking: $0)) }
        case .failure(let failure): throw Self.thrown(failure.error)
        }
    }

    /// Runs statements of a script (no binds, no `COPY`) in one pipeline, inside the
    /// transaction the connection is in: one round trip instead of one a statement.
    /// A server error comes back with the index of the statement that failed (the
    /// transaction is aborted then, the statements after it never ran).
    func executeScriptStatements(_ texts: [String], file: String, line: Int) async throws
        -> (index: Int, error: PostgresError)?
    {
        guard let first = texts.first else { return nil }
        for text in texts { try NULByte.check(text, file: file, line: line) }
        let outcome = try await statement(first) { handle in
            runPipeline(handle, texts.map { ($0, []) }, file: file, line: line)
        }
        switch outcome {
        case .success(let results):
            for result in results { PQclear(result) }
            return nil
        case .failure(let failure):
            // Only a server error has a statement; the rest (a broken connection, a cancelled task) is thrown.
            guard let index = failure.index, let error = Self.thrown(failure.error) as? PostgresError else {
                throw Self.thrown(failure.error)
            }
            return (index, error)
        }
    }

    /// A cancelled task's "canceling statement" is the task's cancellation.
    private static func thrown(_ error: PostgresError) -> any Error {
        if error.sqlState == .queryCanceled, Task.isCancelled { return CancellationError() }
        return error
    }

    /// Why a pipeline failed: the first error, and the statement it came from
    /// (nil when the pipeline could not be sent or the connection broke).
    private struct PipelineFailure: Error {
        var error: PostgresError
        var index: Int?
    }

    private func runPipeline(
        _ handle: OpaquePointer, _ statements: [(String, [PostgresBind])], file: String, line: Int
    ) -> Result<[OpaquePointer], PipelineFailure> {
        guard PQenterPipelineMode(handle) == 1 else {
            return .failure(PipelineFailure(error: connectionError(handle, code: .protocolViolation)))
        }
        defer { PQexitPipelineMode(handle) }
        // Send without blocking: while the send buffer is full, read what the
        // server already answered, so neither side waits on the other.
        PQsetnonblocking(handle, 1)
        for (text, binds) in statements {
            guard Self.sendQuery(handle, text, binds) == 1, flush(handle) else {
                PQsetnonblocking(handle, 0)
                return .failure(PipelineFailure(error: connectionError(handle, code: .connectionClosed)))
            }
        }
        guard PQpipelineSync(handle) == 1, flush(handle) else {
            PQsetnonblocking(handle, 0)
            return .failure(PipelineFailure(error: connectionError(handle, code: .connectionClosed)))
        }
        PQsetnonblocking(handle, 0)

        var results: [OpaquePointer] = []
        var firstFailure: PipelineFailure?
        for (index, (text, binds)) in statements.enumerated() {
            var statementResult: OpaquePointer?
            while let result = PQgetResult(handle) {
                if statementResult == nil { statementResult = result } else { PQclear(result) }
            }
            guard let statementResult else {
                firstFailure =
                    firstFailure ?? PipelineFailure(error: connectionError(handle, code: .connectionClosed))
                break
            }
            switch PQresultStatus(statementResult) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                results.append(statementResult)
            case PGRES_PIPELINE_ABORTED:
                PQclear(statementResult)
            default:
                if firstFailure == nil {
                    firstFailure = PipelineFailure(
                        error: serverError(statementResult, text: text, binds: binds, file: file, line: line),
                        index: index)
                }
                PQclear(statementResult)
            }
        }
        // The sync point's own result ends the pipeline.
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if let firstFailure {
            for result in results { PQclear(result) }
            return .failure(firstFailure)
        }
        return .success(results)
    }

    /// Whether the connection is inside a transaction block that has not failed
    /// (`BEGIN` sent, no `COMMIT`/`ROLLBACK` yet).
    var isInTransactionBlock: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) == PQTRANS_INTRANS
    }

    /// Flushes libpq's send buffer, reading incoming data while the socket is full.
    private func flush(_ handle: OpaquePointer) -> Bool {
        while true {
            let status = PQflush(handle)
            if status == 0 { return true }
            if status < 0 { return false }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN | POLLOUT), revents: 0)
            if poll(&descriptor, 1, -1) < 0, errno != EINTR { return false }
            if descriptor.revents & Int16(POLLIN) != 0, PQconsumeInput(handle) == 0 { return false }
        }
    }

    // MARK: - Results and errors

    func openHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection is closed")
        }
        return handle
    }

    nonisolated func check(
        _ result: OpaquePointer?, handle: OpaquePointer, text: String, binds: [PostgresBind],
        file: String, line: Int
    ) throws -> OpaquePointer {
        guard let result else {
            var error = connectionError(handle, code: .connectionClosed)
            error.query = text
            throw error
        }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return result
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            PQclear(result)
            throw leaveCopyMode(handle, text: text)
        default:
            let error = serverError(result, text: text, binds: binds, file: file, line: line)
            PQclear(result)
            if error.sqlState == .queryCanceled, Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// Leaves the COPY mode a statement entered unasked, so the connection
    /// stays usable, and says why. Blocks: only on the connection's thread.
    nonisolated func leaveCopyMode(_ handle: OpaquePointer, text: String) -> PostgresError {
        _ = PQputCopyEnd(handle, "COPY is not supported here")
        while let extra = PQgetResult(handle) { PQclear(extra) }
        var error = PostgresError(
            code: .protocolViolation,
            message: "COPY … FROM stdin / TO stdout needs its data: use execute(script:) with the "
                + "data block, or copy(_:)")
        error.query = text
        return error
    }

    /// ``leaveCopyMode(_:text:)`` on the connection's thread.
    func leaveCopyMode(text: String) -> PostgresError {
        guard let handle else {
            return PostgresError(code: .connectionClosed, message: "the connection is closed")
        }
        return leaveCopyMode(handle, text: text)
    }

    nonisolated func serverError(
        _ result: OpaquePointer, text: String, binds: [PostgresBind], file: String, line: Int
    ) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let sqlState = field("C").map(SQLState.init(rawValue:))
        let broken = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        let message =
            field("M")
            ?? Self.withoutSocketNoise(String(cString: PQresultErrorMessage(result)))
        var error = PostgresError(
            code: sqlState == nil || broken ? .connectionClosed : .server, message: message,
            sqlState: sqlState)
        if sqlState == .queryCanceled { error.code = .queryCancelled }
        error.severity = field("V") ?? field("S")
        error.detail = field("D")
        error.hint = field("H")
        error.position = field("P").flatMap { Int($0) }
        error.context = field("W")
        error.schema = field("s")
        error.table = field("t")
        error.column = field("c")
        error.dataType = field("d")
        error.constraint = field("n")
        error.query = text
        error.file = file
        error.line = line
        if !binds.isEmpty {
            error.bindValues = binds.map(\.debugText)
            error.bindEchoes = binds.map { $0.bytes.flatMap { String(validating: $0, as: UTF8.self) } }
        }
        error.nameOverflowingIntegerBinds(binds)
        return error
    }

    nonisolated func connectionError(_ handle: OpaquePointer, code: PostgresError.Code) -> PostgresError {
        let message = Self.withoutSocketNoise(String(cString: PQerrorMessage(handle)))
        return PostgresError(code: code, message: message.isEmpty ? "the connection was lost" : message)
    }

    nonisolated func noteDuration(
        since started: ContinuousClock.Instant, until finished: ContinuousClock.Instant? = nil, text: String
    ) {
        statistics?.recordQuery()
        guard let slowQueryThreshold else { return }
        let elapsed = (finished ?? .now) - started
        if elapsed > slowQueryThreshold {
            statistics?.recordSlowQuery()
            logger.warning(
                "slow query",
                metadata: ["pg.duration": "\(elapsed)", "pg.query": "\(text.prefix(500))"])
        }
    }
}

extension Connection: PooledConnection {}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while let last = text.last, last.isNewline || last == " " { text.removeLast() }
        return text
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var storage: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    storage.append(nil)
    defer { for pointer in storage { free(pointer) } }
    return storage.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
            body($0)
        }
    }
}
