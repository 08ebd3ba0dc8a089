import Foundation

/// Runs `body(worker, index)` for every index in 0..<count on `workers` threads (fewer when
/// there are fewer indices), which claim `batch` consecutive indices at a time, so uneven
/// items (a long diff beside short commits) spread evenly. `worker` is in 0..<workers and
/// one thread's alone while it runs: per-worker state (an encoder, a table) goes by it.
func parallelIndices(count: Int, workers: Int, batch: Int = 16, _ body: (_ worker: Int, _ index: Int) -> Void) {
    let workers = max(1, min(workers, count))
    if workers == 1 {
        for index in 0..<count { body(0, index) }
        return
    }
    let next = AtomicCounter()
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                let start = next.add(batch)
                if start >= count { break }
                for index in start..<min(start + batch, count) { body(worker, index) }
            }
        }
    }
}

/// A lock-protected counter for claiming work across threads.
final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    /// Adds `n` and returns the value before.
    func add(_ n: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        let old = value
        value += n
        return old
    }
}
