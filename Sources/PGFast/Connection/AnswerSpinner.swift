import CLibPQ
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Waits for a statement's answer on the connection's own thread by asking
/// the socket for a few microseconds before parking in libpq's `poll()`.
///
/// When the server runs on another CPU, waking a parked thread costs tens of
/// microseconds on a virtual machine: about as much as the round trip itself.
/// Spinning for at most ``budget`` catches a quick answer without that wake-up.
/// It never runs on Swift's cooperative pool (only on a connection's own
/// thread); only while no other connection thread of the process is running a
/// statement (under concurrency the CPUs are better spent on the other
/// statements and the server); and a spin that misses makes the next ones
/// rarer (1, 2, 4 … up to 256 statements skipped), so a remote server, or one
/// that shares this CPU, costs almost nothing.
struct AnswerSpinner {
    /// The longest spin.
    static let budget: Duration = .microseconds(30)
    static let maxSkip = 256
    /// `PGFAST_SPIN=0` turns spinning off.
    static let allowed: Bool = getenv("PGFAST_SPIN").map { String(cString: $0) != "0" } ?? true
    /// Statements running on connection threads now (between ``begin()`` and ``end()``).
    private static let running = Atomic<Int>(0)

    /// Statements to let pass before the next spin, and the current length of that pause.
    private(set) var skip = 0
    private(set) var penalty = 0

    var isEnabled: Bool { Self.allowed }

    /// A statement starts on a connection thread.
    func begin() { Self.running.add(1, ordering: .relaxed) }
    /// It has its answer.
    func end() { Self.running.subtract(1, ordering: .relaxed) }

    /// Reads from the socket until libpq has the whole answer or the budget
    /// is spent; does nothing while other statements run. Returns whether the
    /// answer came. Call between ``begin()`` and ``end()``.
    @discardableResult
    mutating func spin(_ handle: OpaquePointer) -> Bool {
        if skip > 0 {
            skip -= 1
            return false
        }
        // Others are at work: leave the CPU to them.
        guard Self.running.load(ordering: .relaxed) <= 1 else { return false }
        let deadline = ContinuousClock.now + Self.budget
        var checks = 0
        while true {
            if PQconsumeInput(handle) == 0 { return false }
            checks += 1
            let late = ContinuousClock.now > deadline
            if PQisBusy(handle) == 0 {
                record(answered: true, looks: checks, late: late)
                return true
            }
            if late {
                record(answered: false, looks: checks, late: true)
                return false
            }
        }
    }

    /// What one spin saw, as a pure transition: an answer after `looks` looks at
    /// the socket (`late`: after the budget), or none before the budget ran out.
    /// An answer already there at the first look says nothing about spinning; one
    /// caught in time says it pays; a late one (this thread was preempted) or none
    /// says it does not.
    mutating func record(answered: Bool, looks: Int, late: Bool) {
        guard answered else { return miss() }
        guard looks > 1 else { return }
        if late { miss() } else { penalty = 0 }
    }

    private mutating func miss() {
        penalty = min(max(penalty * 2, 1), Self.maxSkip)
        skip = penalty
    }
}
