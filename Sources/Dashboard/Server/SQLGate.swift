import ExperimentStore
import Foundation
import Synchronization

/// Runs the dashboard's SQL on threads of their own, at most `capacity` queries at once.
/// A query blocks its thread until SQLite answers or its time limit stops it; on the few
/// threads that serve every request (one per core) that would stall the whole server, so a
/// query never runs there. Past `capacity`, a request is answered 503 at once, not queued.
/// When the server stops, `stopAll` stops the queries still running (503), so a stop never
/// waits for a time limit.
final class SQLGate: Sendable {
    let capacity: Int
    /// How long one query may run, for the busy message.
    let timeout: Double
    /// Carried by every query's limits (`DashboardServer.sqlLimits`).
    let cancellation = ReadOnlyQuery.Cancellation()
    private let runningCount = Mutex(0)

    init(capacity: Int, timeout: Double) {
        self.capacity = capacity
        self.timeout = timeout
    }

    /// Queries running now.
    var running: Int { runningCount.withLock { $0 } }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = runningCount.withLock { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw DashboardError(status: 503, "\(capacity) queries are running already: try again when one ends (each stops within \(Int(timeout.rounded(.up))) s)")
        }
        defer { runningCount.withLock { $0 -= 1 } }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                Thread {
                    // Named from inside, through /proc (Foundation does not pass a thread's name
                    // to Linux), so `top -H` and /proc/PID/task/*/comm show the query threads.
                    try? "blocklab-ui-sql".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
                    continuation.resume(with: Result { try body() })
                }.start()
            }
        } catch where cancellation.isCancelled {
            throw DashboardError(status: 503, "the query was stopped: \(cancellation.reason)")
        }
    }

    /// Stops every query running now and any started later.
    func stopAll() {
        cancellation.cancel(because: "the dashboard is stopping")
    }
}
