import Foundation
import Synchronization

/// Runs the dashboard's SQL on threads of their own, at most `capacity` queries at once.
/// A query blocks its thread until SQLite answers or its time limit stops it; on the few
/// threads that serve every request (one per core) that would stall the whole server, so a
/// query never runs there. Past `capacity`, a request is answered 503 at once, not queued.
final class SQLGate: Sendable {
    let capacity: Int
    /// How long one query may run, for the busy message.
    let timeout: Double
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
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "blocklab-ui-sql"
            thread.start()
        }
    }
}
