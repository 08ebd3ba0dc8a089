import ArgumentParser
import ExperimentStore
import StoreCommands
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

// What every benchmark shares, each in one place: the error, the clock, the median, progress
// on stderr here; child processes (ChildProcess.swift), the Python peers (PythonPeers.swift)
// and the one output path (BenchReport.swift). Deliberately left out: statistics beyond the median, and any
// warm-up or repetition policy; each benchmark states its own.

// MARK: - Errors

/// A benchmark that cannot run, or whose check failed; the message names the fix.
public struct BenchError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

// MARK: - Clock and median

/// Wall time on the monotonic clock, and CPU time from `getrusage`.
public enum BenchClock {
    /// Seconds on CLOCK_MONOTONIC: only differences mean anything.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// User + system CPU seconds of this process, or of its children that have been waited for.
    public static func cpuSeconds(children: Bool = false) -> Double {
        var usage = rusage()
        getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Wall and CPU seconds of `body`: this process's CPU, or its children's.
    public static func time(children: Bool = false, _ body: () async throws -> Void) async rethrows -> (wall: Double, cpu: Double) {
        let (cpu, start) = (cpuSeconds(children: children), now())
        try await body()
        return (now() - start, cpuSeconds(children: children) - cpu)
    }
}

/// The median: the middle value, or the mean of the middle pair for an even count; NaN when empty.
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// MARK: - Progress

/// Progress lines on stderr, prefixed `blocklab bench NAME:`; stdout stays for the result.
public struct BenchProgress: Sendable {
    public let benchmark: String
    public init(_ benchmark: String) { self.benchmark = benchmark }

    public func say(_ line: String) {
        Console.notice("blocklab bench \(benchmark): \(line)")
    }

    /// A meter for `total` units of one kind of work: says what starts, then its rate and time
    /// left every two seconds while it lasts.
    public func meter(_ label: String, total: Int, unit: String) -> Meter {
        say("\(label) (\(total) \(unit))")
        return Meter(self, label, total, unit)
    }

    /// "label: done/total unit, rate unit/s, N s left". Use from one thread.
    public final class Meter {
        private let progress: BenchProgress, label: String, total: Int, unit: String
        private let started = BenchClock.now()
        private lazy var lastShown = started

        fileprivate init(_ progress: BenchProgress, _ label: String, _ total: Int, _ unit: String) {
            (self.progress, self.label, self.total, self.unit) = (progress, label, total, unit)
        }

        /// Reports `done` units finished; prints when two seconds have passed since the last line.
        public func update(_ done: Int) {
            let now = BenchClock.now()
            guard now - lastShown >= 2, done < total else { return }
            lastShown = now
            let rate = Double(done) / max(now - started, 1e-9)
            let left = rate > 0 ? Double(total - done) / rate : .infinity
            progress.say("\(label): \(done)/\(total) \(unit), \(Self.figure(rate)) \(unit)/s, "
                         + (left.isFinite ? String(format: "%.0f s left", left) : "time left unknown"))
        }

        static func figure(_ value: Double) -> String {
            value >= 100 ? String(Int(value.rounded())) : String(format: "%.3g", value)
        }
    }
}

public func withWorkDirectory<T>(_ name: String, _ body: (URL) async throws -> T) async throws -> T {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-\(name)-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    return try await body(work)
}
