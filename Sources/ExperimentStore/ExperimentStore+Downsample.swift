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
    /// When the range can hold more than `4 × buckets` points it is cut into `buckets` equal
    /// step intervals and each keeps its first, last, minimum and maximum point (M4): a line
    /// chart drawn one bucket per pixel looks exactly as with every point. The selection is
    /// made in SQL, each bucket read as one range of the `(run, key, step)` primary key:
    /// first and last are index seeks, minimum and maximum one scan of the bucket each.
    /// Points come back in step order, each at most once.
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
            guard let first: Int64 = ends?[0], let last: Int64 = ends?[1], first <= last else { return series }
            series.firstStep = Int(first)
            series.lastStep = Int(last)
            let total: Int64 = ends?[2] ?? Int64.max
            let span = last - first + 1
            let rows: RowCursor
            if min(span, total) <= Int64(4 * buckets) {
                rows = try Row.fetchCursor(db, sql: """
                    SELECT step, value, epoch, wall_time FROM metrics
                    WHERE run_id = ? AND key_id = ? AND step BETWEEN ? AND ? ORDER BY step
                    """, arguments: [runID, keyID, first, last])
            } else {
                series.downsampled = true
                rows = try Row.fetchCursor(db, sql: Self.m4SQL, arguments: [
                    "run": runID, "key": keyID, "lo": first, "span": span, "n": Int64(buckets),
                ])
            }
            while let row = try rows.next() {
                series.steps.append(row[0])
                series.values.append(row[1])
                series.epochs.append(row[2])
                series.wallTimes.append(row[3])
            }
            return series
        }
    }

    /// M4 over `n` buckets of `[lo, lo + span)`: step s is in bucket ⌊(s − lo)·n / span⌋, so
    /// bucket i is `[lo + ⌈i·span/n⌉, lo + ⌈(i+1)·span/n⌉)`.
    /// The minimum and maximum use SQLite's documented rule that a bare column beside a single
    /// MIN() or MAX() aggregate comes from the row holding that extreme.
    static let m4SQL = """
        WITH RECURSIVE bucket(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM bucket WHERE i + 1 < :n),
        edge(s, e) AS (SELECT :lo + (i * :span + :n - 1) / :n, :lo + ((i + 1) * :span + :n - 1) / :n FROM bucket),
        pick(a, b, c, d) AS MATERIALIZED (
            SELECT (SELECT step FROM metrics WHERE run_id = :run AND key_id = :key AND step >= s AND step < e
                    ORDER BY step LIMIT 1),
                   (SELECT step FROM metrics WHERE run_id = :run AND key_id = :key AND step >= s AND step < e
                    ORDER BY step DESC LIMIT 1),
                   (SELECT step FROM (SELECT MIN(value), step FROM metrics
                                      WHERE run_id = :run AND key_id = :key AND step >= s AND step < e)),
                   (SELECT step FROM (SELECT MAX(value), step FROM metrics
                                      WHERE run_id = :run AND key_id = :key AND step >= s AND step < e))
            FROM edge)
        SELECT step, value, epoch, wall_time FROM metrics
        WHERE run_id = :run AND key_id = :key
          AND step IN (SELECT a FROM pick UNION SELECT b FROM pick UNION SELECT c FROM pick UNION SELECT d FROM pick)
        ORDER BY step
        """
}
