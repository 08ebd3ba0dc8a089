import Foundation
import GRDB
import HardwareMonitor
import Synchronization

/// A running run. `log` and `logHardware` only append to an in-memory buffer; a background
/// thread writes the buffer in one transaction at least once a second (and when it grows
/// large), updating the heartbeat each time. `finish` writes the rest and the final status
/// in one fully synced transaction.
///
///     let run = try store.startRun(RunSpec(name: "baseline"))
///     for step in 1...100 { run.log(step: step, ["train/loss": loss(step)]) }
///     try run.finish()
public final class RunHandle: @unchecked Sendable {
    public let id: Int64
    public let uuid: String
    public let name: String
    public let store: ExperimentStore

    /// How often the writer flushes when nothing asks it to sooner, unless the run's spec
    /// says otherwise (`RunSpec.flushInterval`).
    public static let defaultFlushInterval: TimeInterval = 0.5
    /// This run's flush interval.
    public let flushInterval: TimeInterval
    /// Buffered points that wake the writer before its interval is up.
    static let wakeThreshold = 65_536

    let pending = Mutex(PendingWrites())
    let control = NSCondition()
    var state = WriterState()  // guarded by `control`
    let wake = DispatchSemaphore(value: 0)
    private var thread: Thread?
    let phaseIDs = Mutex([String: Int64]())
    /// The phase started last and not yet finished: hardware samples logged meanwhile are
    /// tagged with it.
    let currentPhase = Mutex<String?>(nil)

    init(store: ExperimentStore, id: Int64, uuid: String, name: String, flushInterval: TimeInterval) {
        self.store = store
        self.flushInterval = flushInterval
        self.id = id
        self.uuid = uuid
        self.name = name
        Self.open.withLock { $0[ObjectIdentifier(self)] = self }
        let thread = Thread { [unowned self] in self.writerLoop() }
        thread.name = "blocklab-run-\(id)-writer"
        self.thread = thread
        thread.start()
    }

    // MARK: Logging (never waits on disk)

    /// Records `metrics` at `step`. Logging a key twice at one step keeps the later value.
    /// Calls after `finish` are ignored.
    public func log(step: Int, epoch: Double? = nil, _ metrics: [String: Double]) {
        let now = Date().timeIntervalSince1970
        let wakeNow = pending.withLock { buffer -> Bool in
            buffer.lastStep = step
            for (key, value) in metrics {
                buffer.append(key: key, step: Int64(step), value: value, epoch: epoch ?? .nan, time: now)
            }
            return buffer.shouldWake()
        }
        if wakeNow { wake.signal() }
    }

    /// Records one hardware sample; one that names no phase is tagged with the phase
    /// running (started and not yet finished), if any.
    public func logHardware(_ sample: HardwareSample) {
        var sample = sample
        if sample.phase == nil { sample.phase = currentPhase.withLock { $0 } }
        pending.withLock { $0.batch.hardware.append(sample) }
    }

    /// Blocks until everything logged so far is committed; rethrows the writer's last error.
    public func flush() throws {
        control.lock()
        state.requested += 1
        let target = state.requested
        control.unlock()
        wake.signal()
        control.lock()
        defer { control.unlock() }
        while state.completed < target && !state.stopped { control.wait() }
        if let error = state.lastError { throw error }
    }

    /// Writes everything still buffered and the final status, in one synced transaction,
    /// stops the writer, and checkpoints the store (`ExperimentStore.checkpoint`), so a copy
    /// of the store file alone holds the run. Calling it again does nothing.
    public func finish(status: RunStatus = .finished, error: String? = nil) throws {
        precondition(status != .running, "finish with a final status")
        control.lock()
        if state.finalStatus != nil || state.stopped {
            control.unlock()
            return
        }
        state.finalStatus = (status, error)
        control.unlock()
        wake.signal()
        control.lock()
        while !state.stopped { control.wait() }
        let failure = state.lastError
        control.unlock()
        _ = Self.open.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }
        store.checkpoint()  // the store file alone now holds the whole run
        if let failure { throw failure }
    }

    /// What was logged and is not yet committed: buffered, or in the write under way. What a
    /// process that must end before its final flush completes says it leaves unwritten.
    public var unwritten: (points: Int, hardwareSamples: Int) {
        pending.withLock { ($0.batch.count + $0.inFlight.points, $0.batch.hardware.count + $0.inFlight.hardware) }
    }

    // MARK: Every open run of this process

    /// Runs started in this process and not yet finished.
    private static let open = Mutex([ObjectIdentifier: RunHandle]())

    /// The runs of this process not yet finished, by id.
    public static var openRuns: [RunHandle] { open.withLock { $0.values.sorted { $0.id < $1.id } } }

    /// Finishes every run of this process that is still open, each after a final flush:
    /// what a command does when it is told to stop (SIGINT, SIGTERM). Errors are ignored,
    /// as the process is about to end; a run whose last flush fails still gets its status.
    public static func finishEveryOpenRun(status: RunStatus, error: String?) {
        let runs = open.withLock { Array($0.values) }
        for run in runs { try? run.finish(status: status, error: error) }
    }
}
