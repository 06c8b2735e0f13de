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
    /// Registrations are one-shot (`EPOLLONESHOT`): each wait arms the socket
    /// once, the first event disarms it, and the waiting task is resumed exactly
    /// once. Closing a socket removes it from the epoll set (libpq never
    /// duplicates its descriptor), so a later connection may reuse the number.
    final class SocketReactor: Sendable {
        static let shared = SocketReactor()

        private let epoll: Int32
        /// Waiting tasks by descriptor. A slot is filled before its socket is
        /// armed and emptied by the reactor when the event arrives.
        private let waiters = Mutex<[UnsafeContinuation<Void, Never>?]>([])

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

        /// Suspends until `socket` is readable (or, with `writable`, writable),
        /// closed, or in error. `registered` tracks whether this connection's
        /// socket is already in the epoll set; the caller owns it.
        func wait(for socket: Int32, writable: Bool = false, registered: inout Bool) async {
            let index = Int(socket)
            let events = UInt32(EPOLLIN.rawValue | EPOLLONESHOT.rawValue) | (writable ? UInt32(EPOLLOUT.rawValue) : 0)
            var armed = registered
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                waiters.withLock { waiters in
                    if waiters.count <= index {
                        waiters.append(contentsOf: repeatElement(nil, count: index + 1 - waiters.count))
                    }
                    precondition(waiters[index] == nil, "pgfast: two waits on one socket")
                    waiters[index] = continuation
                }
                var event = epoll_event()
                event.events = events
                event.data.fd = socket
                var status = epoll_ctl(epoll, armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event)
                if status != 0, errno == (armed ? ENOENT : EEXIST) {
                    // The descriptor was closed and reused, or added by an earlier connection with its number.
                    status = epoll_ctl(epoll, armed ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, &event)
                }
                if status == 0 {
                    armed = true
                } else {
                    // Cannot watch the socket (it is closed): let the caller find out from libpq.
                    armed = false
                    let continuation = waiters.withLock { waiters -> UnsafeContinuation<Void, Never>? in
                        defer { waiters[index] = nil }
                        return waiters[index]
                    }
                    continuation?.resume()
                }
            }
            registered = armed
        }

        private func run() {
            let capacity: Int32 = 64
            let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
            var ready: [UnsafeContinuation<Void, Never>] = []
            ready.reserveCapacity(Int(capacity))
            while true {
                let count = epoll_wait(epoll, events, capacity, -1)
                if count < 0 {
                    if errno == EINTR { continue }
                    preconditionFailure("pgfast: epoll_wait failed (errno \(errno))")
                }
                waiters.withLock { waiters in
                    for i in 0..<Int(count) {
                        let index = Int(events[i].data.fd)
                        if index < waiters.count, let continuation = waiters[index] {
                            waiters[index] = nil
                            ready.append(continuation)
                        }
                    }
                }
                for continuation in ready { continuation.resume() }
                ready.removeAll(keepingCapacity: true)
            }
        }
    }
#endif
