#if os(Linux)
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif
    import CLibPQ
    import Synchronization

    /// One epoll thread for the whole process: it wakes tasks whose libpq socket
    /// became readable (or writable), so a pooled statement can be sent from the
    /// caller's own thread and its answer awaited without blocking any thread of
    /// Swift's cooperative pool and without a hop to the connection's thread.
    ///
    /// A socket is added once, edge-triggered, and stays in the epoll set until
    /// libpq closes it (closing removes it; libpq never duplicates its
    /// descriptor, so a later connection may reuse the number). An event that
    /// finds no task waiting is remembered, and the next wait on that socket
    /// returns at once: an edge is never lost, and a wait costs no system call.
    /// A spurious wake-up is harmless: the caller asks libpq, which reads what
    /// is there, and waits again.
    final class SocketReactor: Sendable {
        static let shared = SocketReactor()

        private struct Slot {
            var continuation: UnsafeContinuation<ContinuousClock.Instant, Never>?
            var wantsWrite = false
            /// Events that arrived while nobody waited.
            var pending: UInt32 = 0
        }

        private static let readable = UInt32(
            EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue)
        private static let writable = UInt32(EPOLLOUT.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue)
        /// Read interest only: a unix socket signals "writable" each time the
        /// server reads a message, and those wake-ups would wake the reactor.
        private static let readInterest = UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue) | EPOLLET.rawValue
        private static let writeInterest = readInterest | UInt32(EPOLLOUT.rawValue)

        private let epoll: Int32
        /// By descriptor.
        private let slots = Mutex<[Slot]>([])

        private init() {
            epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
            precondition(epoll >= 0, "pgfast: epoll_create1 failed (errno \(errno))")
            let box = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setstacksize(&attributes, 256 << 10)
            let result = pthread_create(
                &thread, &attributes,
                { argument in
                    let reactor = Unmanaged<SocketReactor>.fromOpaque(argument!).takeRetainedValue()
                    reactor.run()
                    return nil
                }, box)
            pthread_attr_destroy(&attributes)
            precondition(result == 0, "pgfast: cannot start the socket reactor thread (error \(result))")
            pthread_detach(thread)
        }

        /// Suspends until `socket` may be readable (or, with `writable`,
        /// writable), closed, or in error; it may also return early. The caller
        /// holds the connection and owns `registered` (whether its socket is in
        /// the epoll set).
        ///
        /// Edges only report new data. libpq may read part of what is waiting
        /// and leave the rest, with no new edge to come: after libpq has read
        /// from the socket, pass `recheck`, which re-arms the socket so epoll
        /// looks at what is there now (one system call).
        ///
        /// Returns when the reactor saw the socket ready (or now, when it was
        /// already): the moment the answer came, whatever delay the task then
        /// had before it ran again.
        @discardableResult
        func wait(
            for socket: Int32, writable: Bool = false, recheck: Bool, registered: inout Bool
        ) async -> ContinuousClock.Instant {
            let index = Int(socket)
            let wanted = writable ? Self.writable : Self.readable
            if !registered || writable || recheck {
                if !watch(socket, interest: writable ? Self.writeInterest : Self.readInterest, added: registered) {
                    registered = false
                    return .now  // not a socket epoll can watch (closed): libpq will say what happened
                }
                registered = true
            }
            defer {
                // Back to read interest only.
                if writable { _ = watch(socket, interest: Self.readInterest, added: true) }
            }
            if takePending(index, wanted) { return .now }
            return await withUnsafeContinuation { (continuation: UnsafeContinuation<ContinuousClock.Instant, Never>) in
                let ready = slots.withLock { slots -> Bool in
                    if slots.count <= index {
                        slots.append(contentsOf: repeatElement(Slot(), count: index + 1 - slots.count))
                    }
                    if slots[index].pending & wanted != 0 {
                        slots[index].pending = 0
                        return true
                    }
                    precondition(slots[index].continuation == nil, "pgfast: two waits on one socket")
                    slots[index].continuation = continuation
                    slots[index].wantsWrite = writable
                    return false
                }
                if ready { continuation.resume(returning: .now) }
            }
        }

        /// Whether anything arrived on `socket` since the last wait on it. For
        /// a socket in the epoll set, "no" means it has been quiet since its
        /// last statement, and the pool need not look at it.
        func hasPendingEvents(_ socket: Int32) -> Bool {
            let index = Int(socket)
            return slots.withLock { slots in index < slots.count && slots[index].pending != 0 }
        }

        private func takePending(_ index: Int, _ wanted: UInt32) -> Bool {
            slots.withLock { slots in
                guard index < slots.count, slots[index].pending & wanted != 0 else { return false }
                slots[index].pending = 0
                return true
            }
        }

        /// Adds the socket to the epoll set or changes its interest.
        private func watch(_ socket: Int32, interest: UInt32, added: Bool) -> Bool {
            var event = epoll_event()
            event.events = interest
            event.data.fd = socket
            if epoll_ctl(epoll, added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event) == 0 { return true }
            // Added under this number by an earlier connection whose socket is
            // still open elsewhere, or never added: try the other operation.
            guard errno == (added ? ENOENT : EEXIST) else { return false }
            return epoll_ctl(epoll, added ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, &event) == 0
        }

        private func run() {
            let capacity: Int32 = 64
            let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
            var ready: [UnsafeContinuation<ContinuousClock.Instant, Never>] = []
            ready.reserveCapacity(Int(capacity))
            while true {
                let count = epoll_wait(epoll, events, capacity, -1)
                if count < 0 {
                    if errno == EINTR { continue }
                    preconditionFailure("pgfast: epoll_wait failed (errno \(errno))")
                }
                slots.withLock { slots in
                    for i in 0..<Int(count) {
                        let index = Int(events[i].data.fd)
                        let happened = events[i].events
                        if slots.count <= index {
                            slots.append(contentsOf: repeatElement(Slot(), count: index + 1 - slots.count))
                        }
                        let wanted = slots[index].wantsWrite ? Self.writable : Self.readable
                        if let continuation = slots[index].continuation, happened & wanted != 0 {
                            slots[index].continuation = nil
                            ready.append(continuation)
                        } else {
                            slots[index].pending |= happened
                        }
                    }
                }
                if !ready.isEmpty {
                    let now = ContinuousClock.now
                    for continuation in ready { continuation.resume(returning: now) }
                }
                ready.removeAll(keepingCapacity: true)
            }
        }
    }
#endif
