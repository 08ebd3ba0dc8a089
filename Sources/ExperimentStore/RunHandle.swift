import Foundation
import GRDB
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

    /// How often the writer flushes when nothing asks it to sooner.
    public static let flushInterval: TimeInterval = 0.5
    /// Buffered points that wake the writer before its interval is up.
    static let wakeThreshold = 65_536

    let pending = Mutex(PendingWrites())
    let control = NSCondition()
    var state = WriterState()  // guarded by `control`
    let wake = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private let phaseIDs = Mutex([String: Int64]())

    init(store: ExperimentStore, id: Int64, uuid: String, name: String) {
        self.store = store
        self.id = id
        self.uuid = uuid
        self.name = name
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
            for (key, value) in metrics {
                buffer.append(key: key, step: Int64(step), value: value, epoch: epoch ?? .nan, time: now)
            }
            return buffer.shouldWake()
        }
        if wakeNow { wake.signal() }
    }

    /// Records one hardware sample.
    public func logHardware(_ sample: HardwareSample) {
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
    /// and stops the writer. Calling it again does nothing.
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
        TerminationSignals.unregister(self)
        if let failure { throw failure }
    }

    /// Finishes this run as `killed` (after a final flush) when the process gets SIGINT or
    /// SIGTERM, then exits with 128 + the signal number.
    public func finishOnTermination() {
        TerminationSignals.register(self)
    }

    // MARK: Phases, checkpoints, artifacts (rare; written at once)

    /// Records the start of a phase of this run.
    public func startPhase(_ name: String) throws {
        let now = Date().timeIntervalSince1970
        let phaseID = try store.write { db -> Int64 in
            try db.execute(sql: "INSERT INTO phases (run_id, name, status, started_at) VALUES (?, ?, 'running', ?)",
                           arguments: [id, name, now])
            return db.lastInsertedRowID
        }
        phaseIDs.withLock { $0[name] = phaseID }
    }

    /// Records the end of a phase, with its counts and stats as JSON.
    public func finishPhase<Stats: Encodable>(_ name: String, status: PhaseStatus = .finished,
                                              stats: Stats, error: String? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(stats), as: UTF8.self)
        try finishPhase(name, status: status, statsJSON: json, error: error)
    }

    public func finishPhase(_ name: String, status: PhaseStatus = .finished, error: String? = nil) throws {
        try finishPhase(name, status: status, statsJSON: "{}", error: error)
    }

    private func finishPhase(_ name: String, status: PhaseStatus, statsJSON: String, error: String?) throws {
        guard let phaseID = phaseIDs.withLock({ $0[name] }) else {
            throw StoreError.invalid("phase '\(name)' was never started in run \(id)")
        }
        let now = Date().timeIntervalSince1970
        try store.write { db in
            try db.execute(sql: "UPDATE phases SET status = ?, ended_at = ?, stats_json = ?, error = ? WHERE id = ?",
                           arguments: [status.rawValue, now, statsJSON, error, phaseID])
        }
    }

    /// Records a checkpoint once its file (or directory of files) is complete: syncs it to
    /// disk, computes its sha256 and size, then writes the row. Throws if it does not exist.
    @discardableResult
    public func recordCheckpoint(path: String, step: Int, epoch: Double? = nil, format: String,
                                 isBest: Bool = false, metrics: [String: Double] = [:]) throws -> CheckpointRecord {
        try FileSync.sync(path: path, what: "checkpoint")
        let (hex, bytes) = try ExperimentStore.sha256(ofPath: path)
        let metricsJSON = JSONValue.object(metrics.mapValues { .double($0) }).jsonString()
        let now = Date().timeIntervalSince1970
        let rowID = try store.write { db -> Int64 in
            try db.execute(sql: """
                INSERT INTO checkpoints (run_id, step, epoch, path, sha256, bytes, format, is_best, metrics_json, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, step, epoch, Self.absolute(path), hex, bytes, format, isBest, metricsJSON, now])
            return db.lastInsertedRowID
        }
        return CheckpointRecord(id: rowID, runID: id, step: step, epoch: epoch, path: Self.absolute(path),
                                sha256: hex, bytes: bytes, format: format, isBest: isBest,
                                metrics: metrics, createdAt: now)
    }

    /// Records an artifact (tokenizer, dataset, report, manifest) with its sha256 and size.
    @discardableResult
    public func recordArtifact(path: String, kind: String, name: String? = nil) throws -> ArtifactRecord {
        try FileSync.sync(path: path, what: "artifact")
        let (hex, bytes) = try ExperimentStore.sha256(ofPath: path)
        let artifactName = name ?? URL(fileURLWithPath: path).lastPathComponent
        let now = Date().timeIntervalSince1970
        let rowID = try store.write { db -> Int64 in
            try db.execute(sql: """
                INSERT INTO artifacts (run_id, kind, name, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, kind, artifactName, Self.absolute(path), hex, bytes, now])
            return db.lastInsertedRowID
        }
        return ArtifactRecord(id: rowID, runID: id, kind: kind, name: artifactName, path: Self.absolute(path),
                              sha256: hex, bytes: bytes, createdAt: now)
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    // MARK: The writer thread

    struct WriterState {
        var requested = 0
        var completed = 0
        var finalStatus: (RunStatus, String?)?
        var stopped = false
        var lastError: (any Error)?
    }

    private func writerLoop() {
        var writer = MetricWriter(runID: id)
        var spare = PendingWrites.Batch()
        while true {
            _ = wake.wait(timeout: .now() + Self.flushInterval)
            control.lock()
            let target = state.requested
            let final = state.finalStatus
            control.unlock()

            pending.withLock { $0.swap(into: &spare) }
            var error: (any Error)?
            do {
                try writer.write(spare, to: store, final: final)
                spare.removeAll()
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

/// What `log` has buffered and the writer has not yet taken.
struct PendingWrites {
    /// Points are stored column-wise so a swap hands the writer whole arrays.
    struct Batch {
        var keyNames: [String] = []
        var keys: [Int32] = []
        var steps: [Int64] = []
        var values: [Double] = []
        var epochs: [Double] = []
        var times: [Double] = []
        var hardware: [HardwareSample] = []

        var count: Int { steps.count }

        mutating func removeAll() {
            keys.removeAll(keepingCapacity: true)
            steps.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            epochs.removeAll(keepingCapacity: true)
            times.removeAll(keepingCapacity: true)
            hardware.removeAll(keepingCapacity: true)
        }
    }

    var keyIndex: [String: Int32] = [:]
    var batch = Batch()
    var wakeSent = false

    @inline(__always)
    mutating func append(key: String, step: Int64, value: Double, epoch: Double, time: Double) {
        let index: Int32
        if let known = keyIndex[key] {
            index = known
        } else {
            index = Int32(batch.keyNames.count)
            keyIndex[key] = index
            batch.keyNames.append(key)
        }
        batch.keys.append(index)
        batch.steps.append(step)
        batch.values.append(value)
        batch.epochs.append(epoch)
        batch.times.append(time)
    }

    mutating func shouldWake() -> Bool {
        if !wakeSent && batch.count >= RunHandle.wakeThreshold {
            wakeSent = true
            return true
        }
        return false
    }

    /// Hands the buffered points to the writer, taking its emptied arrays in exchange.
    /// A batch the writer could not write (it is not empty) keeps its points and gets the
    /// new ones appended, so nothing is lost across a failed flush.
    mutating func swap(into spare: inout Batch) {
        if spare.count == 0 && spare.hardware.isEmpty {
            Swift.swap(&batch.keys, &spare.keys)
            Swift.swap(&batch.steps, &spare.steps)
            Swift.swap(&batch.values, &spare.values)
            Swift.swap(&batch.epochs, &spare.epochs)
            Swift.swap(&batch.times, &spare.times)
            Swift.swap(&batch.hardware, &spare.hardware)
        } else {
            spare.keys += batch.keys
            spare.steps += batch.steps
            spare.values += batch.values
            spare.epochs += batch.epochs
            spare.times += batch.times
            spare.hardware += batch.hardware
            batch.removeAll()
        }
        spare.keyNames = batch.keyNames
        wakeSent = false
    }
}
