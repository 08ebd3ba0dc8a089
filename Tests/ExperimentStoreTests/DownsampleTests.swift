import Foundation
import TestSupport
import Testing
@testable import ExperimentStore

/// M4 (from points and block summaries) checked against M4 computed another way: from every point.
@Suite struct DownsampleTests {
    /// The steps M4 keeps, computed from every point: per bucket the first, last, lowest and
    /// highest (the first of equal extremes, as a scan in step order meets them). Buckets as
    /// `metricSeries` documents them: intervals of whole blocks of the largest size B (256,
    /// then 32) with span / B >= ceil(0.9 × buckets), counted from the block that holds `lo`;
    /// else `buckets` equal intervals.
    static func referenceM4(_ points: [MetricPoint], lo: Int, hi: Int, buckets: Int) -> [Int] {
        let span = hi - lo + 1
        var bucketOf: (Int) -> Int = { ($0 - lo) * buckets / span }
        if let size = [256, 32].first(where: { span / $0 >= Int((0.9 * Double(buckets)).rounded(.up)) }) {
            let base = Int((Double(lo) / Double(size)).rounded(.down)) * size
            let width = size * max(1, Int((Double(hi - base + 1) / Double(size * buckets)).rounded(.up)))
            bucketOf = { ($0 - base) / width }
        }
        var kept = Set<Int>()
        var byBucket = [Int: [MetricPoint]]()
        for point in points where point.step >= lo && point.step <= hi {
            byBucket[bucketOf(point.step), default: []].append(point)
        }
        #expect(byBucket.count <= buckets)
        for (_, members) in byBucket {
            kept.insert(members.first!.step)
            kept.insert(members.last!.step)
            let valued = members.filter { $0.value != nil }
            if let low = valued.min(by: { $0.value! < $1.value! }) { kept.insert(low.step) }
            if let high = valued.max(by: { $0.value! < $1.value! }) { kept.insert(high.step) }
        }
        return kept.sorted()
    }

    /// A noisy decay with distinct values, so every extreme is unique.
    static func value(_ step: Int) -> Double {
        3 / (1 + Double(step) / 500) + 0.3 * sin(Double(step) * 0.7) + Double(step % 17) * 1e-4
    }

    @Test func m4KeepsExactlyFirstLastMinAndMaxOfEachBucket() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "long"))
        for step in 0..<20_000 { run.log(step: step, epoch: Double(step) / 1000, ["train/loss": Self.value(step)]) }
        try run.finish()
        let history = try store.metricHistory(runID: run.id, key: "train/loss")

        let series = try store.metricSeries(runID: run.id, key: "train/loss", buckets: 100)
        #expect(series.downsampled)
        #expect(series.firstStep == 0 && series.lastStep == 19_999)
        #expect(series.steps == Self.referenceM4(history, lo: 0, hi: 19_999, buckets: 100))
        #expect(series.steps.count > 100 && series.steps.count <= 400)
        // Each kept point carries its own value, epoch and time.
        let byStep = Dictionary(uniqueKeysWithValues: history.map { ($0.step, $0) })
        for (index, step) in series.steps.enumerated() {
            let point = try #require(byStep[step], "step \(step) is not in the history")
            #expect(series.values[index] == point.value)
            #expect(series.epochs[index] == point.epoch)
            #expect(series.wallTimes[index] == point.wallTime)
        }
        // The chart's envelope is the full history's: the same global min and max.
        #expect(series.values.compactMap { $0 }.min() == history.compactMap(\.value).min())
        #expect(series.values.compactMap { $0 }.max() == history.compactMap(\.value).max())
    }

    @Test func aRangeIsDownsampledOnItsOwnAndASmallRangeComesWhole() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "range"))
        for step in stride(from: 0, to: 50_000, by: 5) { run.log(step: step, ["k": Self.value(step)]) }
        try run.finish()
        let history = try store.metricHistory(runID: run.id, key: "k")

        let zoomed = try store.metricSeries(runID: run.id, key: "k", fromStep: 10_001, toStep: 30_000, buckets: 50)
        #expect(zoomed.downsampled)
        #expect(zoomed.firstStep == 10_005 && zoomed.lastStep == 30_000)
        #expect(zoomed.steps == Self.referenceM4(history, lo: 10_005, hi: 30_000, buckets: 50))

        let small = try store.metricSeries(runID: run.id, key: "k", fromStep: 100, toStep: 1_000, buckets: 250)
        #expect(!small.downsampled)
        #expect(small.steps == Array(stride(from: 100, through: 1_000, by: 5)))
    }

    @Test func nanPointsStayAsBucketEndsButNeverAsExtremes() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "nan"))
        for step in 0..<1_000 { run.log(step: step, ["k": step % 100 == 0 ? .nan : Self.value(step)]) }
        try run.finish()
        let history = try store.metricHistory(runID: run.id, key: "k")
        let series = try store.metricSeries(runID: run.id, key: "k", buckets: 10)
        #expect(series.steps == Self.referenceM4(history, lo: 0, hi: 999, buckets: 10))
        #expect(series.steps.contains(0) && series.values[series.steps.firstIndex(of: 0)!] == nil)
    }

    @Test func aSmallSeriesComesWholeAndUnknownKeysAreEmpty() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "small"))
        for step in 0..<30 { run.log(step: step * 10, ["k": Double(step)]) }
        try run.finish()
        let series = try store.metricSeries(runID: run.id, key: "k", buckets: 10)
        #expect(!series.downsampled)
        #expect(series.steps == Array(stride(from: 0, to: 300, by: 10)))
        #expect(series.values == (0..<30).map { Double($0) })
        let missing = try store.metricSeries(runID: run.id, key: "nope", buckets: 10)
        #expect(missing.steps.isEmpty && missing.firstStep == nil)
        let outside = try store.metricSeries(runID: run.id, key: "k", fromStep: 5_000, buckets: 10)
        #expect(outside.steps.isEmpty)
    }

    @Test func badArgumentsAreErrorsThatSayWhy() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "bad"))
        try run.finish()
        #expect(throws: StoreError.invalid("buckets must be at least 1 (got 0)")) {
            try store.metricSeries(runID: run.id, key: "k", buckets: 0)
        }
        #expect(throws: StoreError.invalid("the step range 10...5 is empty: 'from' must not be above 'to'")) {
            try store.metricSeries(runID: run.id, key: "k", fromStep: 10, toStep: 5, buckets: 10)
        }
    }

    /// Zooms that start and end inside blocks, over steps with gaps and negative steps: the
    /// partial end blocks are read point by point, the whole ones from their summaries.
    @Test(arguments: [(-700, 52_345, 37), (-1, 40, 3), (33, 9_999, 64), (5, 63_000, 2_000), (-500, 500, 1)])
    func anyRangeAndBucketCountMatchesTheReference(range: (Int, Int, Int)) throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "gaps"))
        for step in stride(from: -1_000, to: 60_000, by: 3) where step % 1_000 < 900 {
            run.log(step: step, ["k": step % 250 == 1 ? .nan : Self.value(step)])
        }
        try run.finish()
        let history = try store.metricHistory(runID: run.id, key: "k")
        let (from, to, buckets) = range
        let series = try store.metricSeries(runID: run.id, key: "k", fromStep: from, toStep: to, buckets: buckets)
        let inRange = history.filter { $0.step >= from && $0.step <= to }
        let lo = inRange.first!.step, hi = inRange.last!.step
        #expect(series.firstStep == lo && series.lastStep == hi)
        if inRange.count <= 4 * buckets || hi - lo + 1 <= 4 * buckets {
            #expect(series.steps == inRange.map(\.step))
        } else {
            #expect(series.steps == Self.referenceM4(history, lo: lo, hi: hi, buckets: buckets))
        }
        let byStep = Dictionary(uniqueKeysWithValues: history.map { ($0.step, $0) })
        for (index, step) in series.steps.enumerated() {
            let point = try #require(byStep[step], "step \(step) is not in the history")
            #expect(series.values[index] == point.value && series.wallTimes[index] == point.wallTime)
        }
    }
}
