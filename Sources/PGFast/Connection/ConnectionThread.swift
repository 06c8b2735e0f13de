#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A dedicated OS thread that runs one connection's jobs.
///
/// libpq's calls block until the server answers. Running them on this thread,
/// as the connection actor's executor, keeps them off Swift's cooperative pool.
/// It is also a `TaskExecutor`: code inside `withConnection` prefers it, so a
/// loop of queries on one connection runs without a single thread hop.
///
/// `@unchecked Sendable`: the job queue is only touched under `mutex`; the
/// pthread handles are written once before the thread starts.
final class ConnectionThread: SerialExecutor, TaskExecutor, @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var queue: [UnownedJob] = []
    private var stopping = false
    private var thread = pthread_t()

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
        queue.reserveCapacity(16)
        let box = Unmanaged.passRetained(self).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 1 << 20)
        let result = pthread_create(
            &thread, &attributes,
            { argument in
                let executor = Unmanaged<ConnectionThread>.fromOpaque(argument!).takeRetainedValue()
                executor.run()
                return nil
            }, box)
        pthread_attr_destroy(&attributes)
        precondition(result == 0, "pgfast: cannot start a connection thread (error \(result))")
        pthread_detach(thread)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        queue.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Lets the thread finish the jobs it has and exit.
    func shutdown() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    func checkIsolated() {
        precondition(isCurrent, "pgfast: expected to run on the connection's thread")
    }

    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    private func run() {
        var batch: [UnownedJob] = []
        batch.reserveCapacity(16)
        let serial = asUnownedSerialExecutor()
        let task = asUnownedTaskExecutor()
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty && !stopping {
                pthread_cond_wait(condition, mutex)
            }
            if queue.isEmpty && stopping {
                pthread_mutex_unlock(mutex)
                return
            }
            swap(&batch, &queue)
            pthread_mutex_unlock(mutex)
            for job in batch {
                job.runSynchronously(isolatedTo: serial, taskExecutor: task)
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
