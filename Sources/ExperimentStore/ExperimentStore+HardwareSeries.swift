import Foundation
import GRDB

/// A run's hardware samples as aligned columns (one entry per sample, or per time bucket when
/// downsampled), for charts. Sizes are bytes; nil where the machine did not report a value.
public struct HardwareSeries: Codable, Sendable, Equatable {
    public struct GPU: Codable, Sendable, Equatable {
        public var index: Int
        public var name: String?
        /// Aligned with `HardwareSeries.times`; nil where this GPU has no sample.
        public var utilizationPercent: [Double?]
        public var memoryUsedBytes: [Double?]
        public var memoryTotalBytes: [Double?]
        public var temperatureC: [Double?]
        public var powerWatts: [Double?]
    }

    public var times: [Double]
    public var steps: [Int?]
    public var cpuPercent: [Double?]
    public var ramUsedBytes: [Double?]
    public var ramPercent: [Double?]
    public var processRSSBytes: [Double?]
    /// The anonymous part of the RSS (RssAnon).
    public var processRSSAnonBytes: [Double?]
    public var cpuTemperatureC: [Double?]
    public var gpus: [GPU]
    /// How many samples the run has.
    public var samples: Int
    /// True when samples were merged into time buckets (each bucket shows its peak).
    public var downsampled: Bool
}

extension ExperimentStore {
    /// A run's hardware samples in time order, at most `maxPoints` entries: when there are
    /// more samples, time is cut into `maxPoints` equal buckets and each keeps the mean time
    /// and the highest reading of every measure (so peaks stay visible).
    public func hardwareSeries(runID: Int64, maxPoints: Int = 2000) throws -> HardwareSeries {
        guard maxPoints >= 1 else { throw StoreError.invalid("maxPoints must be at least 1 (got \(maxPoints))") }
        return try read { db in
            let bounds = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(time), MAX(time) FROM hardware_samples WHERE run_id = ?",
                                          arguments: [runID])!
            let count: Int = bounds[0]
            var series = HardwareSeries(times: [], steps: [], cpuPercent: [], ramUsedBytes: [], ramPercent: [], processRSSBytes: [],
                                        processRSSAnonBytes: [], cpuTemperatureC: [], gpus: [], samples: count, downsampled: count > maxPoints)
            guard count > 0, let t0: Double = bounds[1], let t1: Double = bounds[2] else { return series }
            // Each sample's bucket: its own id when not downsampled, else its slice of time.
            let bucket = series.downsampled
                ? "MIN(CAST((h.time - :t0) * :n / (:t1 - :t0) AS INTEGER), :n - 1)"
                : "h.id"
            let arguments: StatementArguments = series.downsampled
                ? ["run": runID, "t0": t0, "t1": t1 == t0 ? t0 + 1 : t1, "n": maxPoints]
                : ["run": runID]
            var position = [Int64: Int]()
            for row in try Row.fetchAll(db, sql: """
                SELECT \(bucket) AS b, AVG(h.time), MAX(h.step), MAX(h.cpu_percent), MAX(h.ram_used_bytes), MAX(h.ram_percent),
                       MAX(h.process_rss_bytes), MAX(h.cpu_temp_c), MAX(h.process_rss_anon_bytes)
                FROM hardware_samples h WHERE h.run_id = :run GROUP BY b ORDER BY MIN(h.time), MIN(h.id)
                """, arguments: arguments) {
                position[row[0]] = series.times.count
                series.times.append(row[1])
                series.steps.append(row[2])
                series.cpuPercent.append(row[3])
                series.ramUsedBytes.append(row[4])
                series.ramPercent.append(row[5])
                series.processRSSBytes.append(row[6])
                series.cpuTemperatureC.append(row[7])
                series.processRSSAnonBytes.append(row[8])
            }
            var gpus = [Int: HardwareSeries.GPU]()
            let empty = [Double?](repeating: nil, count: series.times.count)
            for row in try Row.fetchAll(db, sql: """
                SELECT \(bucket) AS b, g.gpu_index, MAX(g.name), MAX(g.utilization_pct), MAX(g.memory_used_bytes),
                       MAX(g.memory_total_bytes), MAX(g.temperature_c), MAX(g.power_w)
                FROM gpu_samples g JOIN hardware_samples h ON h.id = g.sample_id
                WHERE h.run_id = :run GROUP BY b, g.gpu_index
                """, arguments: arguments) {
                guard let at = position[row[0]] else { continue }
                let index: Int = row[1]
                var gpu = gpus[index] ?? .init(index: index, name: nil, utilizationPercent: empty, memoryUsedBytes: empty,
                                               memoryTotalBytes: empty, temperatureC: empty, powerWatts: empty)
                gpu.name = gpu.name ?? row[2]
                gpu.utilizationPercent[at] = row[3]
                gpu.memoryUsedBytes[at] = row[4]
                gpu.memoryTotalBytes[at] = row[5]
                gpu.temperatureC[at] = row[6]
                gpu.powerWatts[at] = row[7]
                gpus[index] = gpu
            }
            series.gpus = gpus.values.sorted { $0.index < $1.index }
            return series
        }
    }
}
