import HardwareMonitor

/// The hardware peaks of one process of a run: the machine and the rank that took the
/// samples (nil where the samples did not say, as before data-parallel runs existed).
public struct RankPeaks: Codable, Sendable, Equatable {
    public var host: String?
    public var rank: Int?
    public var peaks: HardwarePeaks

    public init(host: String?, rank: Int?, peaks: HardwarePeaks) {
        self.host = host
        self.rank = rank
        self.peaks = peaks
    }
}
