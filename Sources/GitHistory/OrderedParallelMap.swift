import Foundation

/// Runs `work` on items 0..<count on `workers` threads and hands the results to `consume`
/// on the calling thread strictly in index order, so the output does not depend on the
/// number of workers or on timing. At most `window` results wait unconsumed (memory bound).
///
/// Each worker gets its own state from `makeState` (for example a repository handle),
/// created on the calling thread and used by that worker alone. Workers claim `batch`
/// consecutive items at a time, so neighbouring commits (which share blobs) meet the same
/// worker's object cache.
func orderedParallelMap<State, Value>(
    count: Int, workers: Int, window: Int = 256, batch: Int = 64,
    makeState: () throws -> State,
    work: @escaping (State, Int) -> Value,
    consume: (Int, Value) throws -> Void
) throws {
    guard count > 0 else { return }
    let workers = max(1, min(workers, count))
    let shared = OrderedSlots<Value>(count: count, window: max(window, 2 * workers * batch), batch: batch)
    let states = try (0..<workers).map { _ in UncheckedBox(try makeState()) }
    let job = UncheckedBox(work)
    for state in states {
        let thread = Thread {
            while let range = shared.claim() {
                for index in range { shared.fill(index, with: job.value(state.value, index)) }
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    defer { shared.stop() }
    for index in 0..<count {
        try consume(index, shared.take(index))
    }
}

/// The slots between workers and the consumer, behind one condition variable.
private final class OrderedSlots<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [Value?]
    private var nextClaim = 0
    private var nextTake = 0
    private var stopped = false
    private let window: Int
    private let batch: Int

    init(count: Int, window: Int, batch: Int) {
        slots = Array(repeating: nil, count: count)
        self.window = window
        self.batch = max(1, batch)
    }

    /// The next indexes to work on, or nil when all are claimed or the consumer stopped.
    func claim() -> Range<Int>? {
        condition.lock(); defer { condition.unlock() }
        while !stopped && nextClaim < slots.count && nextClaim >= nextTake + window { condition.wait() }
        guard !stopped, nextClaim < slots.count else { return nil }
        let range = nextClaim..<min(nextClaim + batch, slots.count)
        nextClaim = range.upperBound
        return range
    }

    func fill(_ index: Int, with value: Value) {
        condition.lock(); defer { condition.unlock() }
        slots[index] = value
        condition.broadcast()
    }

    func take(_ index: Int) -> Value {
        condition.lock(); defer { condition.unlock() }
        while slots[index] == nil { condition.wait() }
        let value = slots[index]!
        slots[index] = nil
        nextTake = index + 1
        condition.broadcast()
        return value
    }

    /// Lets waiting workers finish early when the consumer throws.
    func stop() {
        condition.lock(); defer { condition.unlock() }
        stopped = true
        condition.broadcast()
    }
}

/// Moves a value onto exactly one other thread, which then owns it.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
