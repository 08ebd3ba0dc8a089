import Foundation
import GRDB
import HardwareMonitor

extension ExperimentStore {
    /// The hardware peaks of each phase of a run, from the samples tagged with it (every
    /// rank's), by phase name. Samples taken outside any phase count in `hardwarePeaks` only.
    ///
    ///     let tokenize = try store.hardwarePeaksByPhase(runID: 7)["tokenize"]?.processRSSBytes
    public func hardwarePeaksByPhase(runID: Int64) throws -> [String: HardwarePeaks] {
        try read { db in
            var peaks = [String: HardwarePeaks]()
            for phase in try String.fetchAll(db, sql: "SELECT DISTINCT phase FROM hardware_samples WHERE run_id = ? AND phase IS NOT NULL",
                                             arguments: [runID]) {
                peaks[phase] = try Self.peaks(db, runID: runID, where: " AND h.phase = ?", [phase])
            }
            return peaks
        }
    }
}
