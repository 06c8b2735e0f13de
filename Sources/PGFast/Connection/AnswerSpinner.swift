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
/// thread), at most one connection thread of the process spins at a time (the
/// other CPUs stay free for the server and for other work), and a spin that
/// misses makes the next ones rarer (1, 2, 4 … up to 256 statements skipped),
/// so a remote server, or one that shares this CPU, costs almost nothing.
struct AnswerSpinner {
    /// The longest spin.
    static let budget: Duration = .microseconds(30)
    static let maxSkip = 256
    /// `PGFAST_SPIN=0` turns spinning off.
    static let allowed: Bool = getenv("PGFAST_SPIN").map { String(cString: $0) != "0" } ?? true
    /// Taken by the one thread spinning now.
    private static let busy = Atomic<Bool>(false)

    /// Statements to let pass before the next spin, and the current length of that pause.
    private(set) var skip = 0
    private(set) var penalty = 0

    var isEnabled: Bool { Self.allowed }

    /// Reads from the socket until libpq has the whole answer, the budget is
    /// spent, or another thread is spinning. Returns whether the answer came.
    @discardableResult
    mutating func spin(_ handle: OpaquePointer) -> Bool {
        if skip > 0 {
            skip -= 1
            return false
        }
        guard Self.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { Self.busy.store(false, ordering: .releasing) }
        let deadline = ContinuousClock.now + Self.budget
        while true {
            if PQconsumeInput(handle) == 0 { return false }
            if PQisBusy(handle) == 0 {
                penalty = 0
                return true
            }
            if ContinuousClock.now > deadline {
                penalty = min(max(penalty * 2, 1), Self.maxSkip)
                skip = penalty
                return false
            }
        }
    }
}
