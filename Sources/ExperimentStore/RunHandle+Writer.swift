import Foundation
import GRDB
import HardwareMonitor

extension RunHandle {
    struct WriterState {
        var requested = 0
        var completed = 0
        var finalStatus: (RunStatus, String?)?
        var stopped = false
        var lastError: (any Error)?
    }

    /// Beats at least this often (seconds), even when the flush interval is longer, so
    /// readers on other hosts never see a live run's heartbeat go stale (60 s).
    static let heartbeatInterval: TimeInterval = 10

    /// The writer thread: flushes every `flushInterval`, or at once when woken (`flush`,
    /// `finish`, a large buffer); between flushes longer than the heartbeat interval it
    /// updates only the heartbeat.
    func writerLoop() {
        var writer = MetricWriter(runID: id)
        var spare = PendingWrites.Batch()
        var lastFlush = DispatchTime.now()
        while true {
            let woken = wake.wait(timeout: .now() + min(flushInterval, Self.heartbeatInterval)) == .success
            control.lock()
            let target = state.requested
            let final = state.finalStatus
            control.unlock()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - lastFlush.uptimeNanoseconds) / 1e9
            if !woken && final == nil && elapsed < flushInterval {
                try? writer.writeHeartbeat(to: store)
                continue
            }
            lastFlush = DispatchTime.now()

            pending.withLock { $0.swap(into: &spare) }
            var error: (any Error)?
            do {
                try writer.write(spare, to: store, final: final)
                spare.removeAll()
                pending.withLock { $0.inFlight = (0, 0) }
            } catch let failure {
                error = StoreError.from(failure, path: store.path)
                if final != nil {
                    // The points could not be written; still record how the run ended.
                    try? writer.writeStatusOnly(final!, lost: spare.count, reason: "\(error!)", to: store)
                }
            }
            control.lock()
            state.completed = max(state.completed, target)
            state.lastError = error
            if final != nil { state.stopped = true }
            control.broadcast()
            control.unlock()
            if final != nil { return }
        }
    }
}
