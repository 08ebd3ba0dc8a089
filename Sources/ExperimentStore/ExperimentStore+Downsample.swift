import Foundation
import GRDB

/// One metric key's history over a step range, columnar, as charts want it: whole when it is
/// small, else downsampled by M4 (see `ExperimentStore.metricSeries`).
public struct MetricSeries: Codable, Sendable, Equatable {
    public var key: String
    public var steps: [Int]
    /// nil where the value was NaN (stored as NULL).
    public var values: [Double?]
    public var epochs: [Double?]
    public var wallTimes: [Double]
    /// The first and last step that exist in the asked range (nil when it is empty).
    public var firstStep: Int?
    public var lastStep: Int?
    /// True when the points are an M4 selection rather than every point of the range.
    public var downsampled: Bool
    public var buckets: Int

    /// An empty series of `key` (a run that lacks the key).
    public init(key: String, buckets: Int) {
        self.init(key: key, steps: [], values: [], epochs: [], wallTimes: [], firstStep: nil, lastStep: nil,
                  downsampled: false, buckets: buckets)
    }

    init(key: String, steps: [Int], values: [Double?], epochs: [Double?], wallTimes: [Double], firstStep: Int?,
         lastStep: Int?, downsampled: Bool, buckets: Int) {
        self.key = key
        self.steps = steps
        self.values = values
        self.epochs = epochs
        self.wallTimes = wallTimes
        self.firstStep = firstStep
        self.lastStep = lastStep
        self.downsampled = downsampled
        self.buckets = buckets
    }
}

extension ExperimentStore {
    /// One key's history between `fromStep` and `toStep` (inclusive; nil: open), at most
    /// about `4 × buckets` points.
    ///
    /// When the range holds more than `4 × buckets` points it is cut into step intervals
    /// (buckets) and each keeps its first, last, lowest and highest point (M4): a line chart
    /// drawn one bucket per pixel looks exactly as with every point. Points come back in step
    /// order, each at most once, with their own value, epoch and wall time. Over the range's
    /// real ends `lo...hi` (span = hi − lo + 1), with B the largest stored block size (256,
    /// then 32 steps) such that span / B ≥ ⌈0.9 · buckets⌉:
    /// - when there is one, intervals of w = B · max(1, ⌈span′ / (B · buckets)⌉) steps from
    ///   base = ⌊lo / B⌋ · B (span′ = hi − base + 1): step s is in bucket ⌊(s − base) / w⌋.
    ///   Intervals are whole blocks, read from `metric_blocks` (about span / B rows), and only
    ///   the points of the range's two partial end blocks are read; there are at most
    ///   `buckets` intervals, and at least about nine tenths of that;
    /// - else `buckets` equal intervals: step s is in bucket ⌊(s − lo) · buckets / span⌋,
    ///   found in one ordered scan of the points (fewer than 32 · buckets / 0.9 steps).
    ///
    ///     let series = try store.metricSeries(runID: 3, key: "train/loss", buckets: 2000)
    public func metricSeries(runID: Int64, key: String, fromStep: Int? = nil, toStep: Int? = nil,
                             buckets: Int) throws -> MetricSeries {
        guard buckets >= 1 else { throw StoreError.invalid("buckets must be at least 1 (got \(buckets))") }
        if let fromStep, let toStep, fromStep > toStep {
            throw StoreError.invalid("the step range \(fromStep)...\(toStep) is empty: 'from' must not be above 'to'")
        }
        var series = MetricSeries(key: key, buckets: buckets)
        return try read { db in
            guard let keyID = try Int64.fetchOne(db, sql: "SELECT id FROM metric_keys WHERE key = ?", arguments: [key]) else {
                return series
            }
            let lower = Int64(fromStep ?? Int(Int64.min / 4))
            let upper = Int64(toStep ?? Int(Int64.max / 4))
            // Index seeks: the range's real ends and the key's total count (kept by the writer).
            let ends = try Row.fetchOne(db, sql: """
                SELECT (SELECT MIN(step) FROM metrics WHERE run_id = ?1 AND key_id = ?2 AND step >= ?3),
                       (SELECT MAX(step) FROM metrics WHERE run_id = ?1 AND key_id = ?2 AND step <= ?4),
                       (SELECT count FROM metric_summaries WHERE run_id = ?1 AND key_id = ?2)
                """, arguments: [runID, keyID, lower, upper])
            guard let lo: Int64 = ends?[0], let hi: Int64 = ends?[1], lo <= hi else { return series }
            series.firstStep = Int(lo)
            series.lastStep = Int(hi)
            let total: Int64 = ends?[2] ?? Int64.max
            let span = hi - lo + 1
            let reader = try PointReader(db: db, runID: runID, keyID: keyID)
            var kept: [PointSummary.Point] = []
            if min(span, total) <= Int64(4 * buckets) {
                try reader.forEachPoint(from: lo, to: hi) { kept.append($0) }
            } else {
                series.downsampled = true
                var m4 = M4Buckets(lo: lo, hi: hi, buckets: Int64(buckets), blockShifts: PointSummary.blockShifts)
                if let shift = m4.blockShift, let blocks = m4.wholeBlocks {
                    // The partial blocks at the ends point by point, the whole ones as summaries.
                    try reader.forEachPoint(from: lo, to: min(hi, (blocks.lowerBound << shift) - 1)) { m4.add($0) }
                    try reader.forEachBlock(shift: shift, in: blocks) { m4.add($0) }
                    try reader.forEachPoint(from: max(lo, (blocks.upperBound + 1) << shift), to: hi) { m4.add($0) }
                } else {
                    try reader.forEachPoint(from: lo, to: hi) { m4.add($0) }
                }
                kept = m4.keptPoints()
            }
            series.steps = kept.map { Int($0.step) }
            series.values = kept.map { $0.value.isNaN ? nil : $0.value }
            series.epochs = kept.map { $0.epoch.isNaN ? nil : $0.epoch }
            series.wallTimes = kept.map(\.time)
            return series
        }
    }
}
