import Foundation

/// Where a long job stands: items done of a total, the rate so far and the time left at it.
public struct ProgressReport: Sendable, Equatable {
    public var done: Int
    public var total: Int
    public var elapsedSeconds: Double

    public init(done: Int, total: Int, elapsedSeconds: Double) {
        self.done = done
        self.total = total
        self.elapsedSeconds = elapsedSeconds
    }

    /// Items per second so far.
    public var rate: Double { elapsedSeconds > 0 ? Double(done) / elapsedSeconds : 0 }
    /// Seconds left at the rate so far; nil before anything is done.
    public var secondsLeft: Double? { done > 0 ? Double(total - done) / rate : nil }
}

/// Reports progress to a callback as work completes, measuring time from its creation.
struct ProgressClock {
    let start = DispatchTime.now()
    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }
    func report(_ done: Int, _ total: Int) -> ProgressReport { ProgressReport(done: done, total: total, elapsedSeconds: elapsed) }
}
