extension ConnectionPool {
    /// Runs ``maintain(failFast:)`` every ``maintenanceInterval(_:)``.
    func startMaintenance() {
        let interval = Self.maintenanceInterval(config)
        let task = Task { [weak self] in
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: interval)) != nil else { return }
                _ = await self?.maintain(failFast: false)
            }
        }
        let stale = state.withLock { state -> Task<Void, Never>? in
            // close() may have run meanwhile: then the task must not outlive it.
            guard state.machine.isRunning else { return task }
            state.maintenance = task
            return nil
        }
        stale?.cancel()
    }

    static func maintenanceInterval(_ config: DatabaseConfig) -> Duration {
        let limits = [config.idleTimeout, config.maxLifetime].compactMap { $0 }
        let shortest = limits.min() ?? .seconds(30)
        return min(max(shortest / 4, .milliseconds(100)), .seconds(30))
    }

    /// Closes idle connections past `idleTimeout` (above the minimum) or
    /// `maxLifetime`, and tops the pool up to `minConnections`, opening them
    /// side by side. The first open error, if any; `failFast` (the pool's
    /// first fill) returns it, otherwise it is logged.
    @discardableResult
    func maintain(failFast: Bool = false) async -> (any Error)? {
        let now = ContinuousClock.now
        let (expired, missing) = state.withLock { $0.machine.maintain(now: now) }
        for connection in expired { retire(connection) }
        guard missing > 0 else { return nil }
        // Each child reports its own outcome to the machine, so no opened
        // connection is lost when another one fails.
        let errors = await withTaskGroup(of: (any Error)?.self) { group in
            for _ in 0..<missing {
                group.addTask {
                    do {
                        let connection = try await Connection.connect(
                            self.config, logger: self.logger, statistics: self.statistics)
                        self.perform(self.state.withLock { $0.machine.refillOpened(connection, now: .now) })
                        return nil
                    } catch {
                        self.perform(self.state.withLock { $0.machine.openFailed() })
                        return error
                    }
                }
            }
            var errors: [any Error] = []
            for await error in group { if let error { errors.append(error) } }
            return errors
        }
        guard let first = errors.first else { return nil }
        if !failFast {
            logger.warning("cannot open a connection to keep the pool's minimum", metadata: ["error": "\(first)"])
        }
        return first
    }
}
