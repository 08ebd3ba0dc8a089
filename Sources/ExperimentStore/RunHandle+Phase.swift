import Foundation
import HardwareMonitor

/// What a phase body records while it runs: its stats, its output files (as artifacts, with
/// sha256 and size) and a note for a phase that finished with something to say.
public final class PhaseRecorder: @unchecked Sendable {
    public let run: RunHandle
    public let name: String
    /// The phase's stats (`phases.stats_json`): a JSON object. Recorded whether the body
    /// succeeds or throws, so a failed phase keeps the counts it reached.
    public var stats: JSONValue = .object([:])
    /// An error text for a phase that still finished (e.g. commits with unreadable objects).
    public var note: String?
    /// The artifacts recorded so far, in order.
    public private(set) var artifacts: [ArtifactRecord] = []

    init(run: RunHandle, name: String) {
        self.run = run
        self.name = name
    }

    /// Sets the stats from any `Encodable` (encoded as `finishPhase` encodes them), keeping
    /// keys already set by `set(_:_:)` that the value does not have.
    public func record<Stats: Encodable>(stats value: Stats) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let encoded = try JSONValue.parse(try encoder.encode(value))
        guard case .object(var new) = encoded else {
            throw StoreError.invalid("the stats of phase '\(name)' must encode as a JSON object")
        }
        if case .object(let old) = stats { for (key, value) in old where new[key] == nil { new[key] = value } }
        stats = .object(new)
    }

    /// Sets one stats key.
    public func set(_ key: String, _ value: JSONValue) {
        guard case .object(var object) = stats else { stats = .object([key: value]); return }
        object[key] = value
        stats = .object(object)
    }

    /// Records a file or directory the phase wrote (synced, hashed) as an artifact of the run.
    @discardableResult
    public func artifact(path: String, kind: String, name: String? = nil) throws -> ArtifactRecord {
        let record = try run.recordArtifact(path: path, kind: kind, name: name)
        artifacts.append(record)
        return record
    }
}

extension RunHandle {
    /// Runs `body` as the phase `name` of this run: records its start, then its end with
    /// the recorder's stats and note and the status `finished`; when `body` throws, the
    /// status `failed` with the error's text (and the stats reached), then rethrows.
    /// Meanwhile the hardware is sampled every `hardwareEvery` seconds, from a sample as the
    /// phase starts to one as it ends, each tagged with the phase (nil: no sampling here, for
    /// a body that samples itself, as training does).
    ///
    ///     let summary = try run.phase("scrape") { phase in
    ///         let summary = try scraper.write(to: out)
    ///         try phase.artifact(path: out.appendingPathComponent("commits.jsonl").path, kind: "dataset")
    ///         try phase.record(stats: summary)
    ///         return summary
    ///     }
    ///
    /// A run stopped by a signal while the phase runs has the phase closed as failed with the
    /// run's error (see `finish`).
    public func phase<T>(_ name: String, hardwareEvery interval: TimeInterval? = RunHandle.defaultHardwareInterval,
                         _ body: (PhaseRecorder) throws -> T) throws -> T {
        try startPhase(name)
        let sampler = interval.map { interval in
            HardwareSampler(interval: interval, currentStep: { nil }, onSample: { [weak self] sample in
                var sample = sample
                sample.phase = name
                // Taken by the process that owns the run: rank 0, as in data-parallel training.
                sample.host = HardwareMonitor.hostName
                sample.rank = 0
                self?.logHardware(sample)
            })
        }
        sampler?.start()
        let recorder = PhaseRecorder(run: self, name: name)
        let result: T
        do {
            result = try body(recorder)
        } catch {
            sampler?.stop()
            try? finishPhase(name, status: .failed, stats: recorder.stats, error: Self.describe(error))
            throw error
        }
        sampler?.stop()
        try finishPhase(name, status: .finished, stats: recorder.stats, error: recorder.note)
        return result
    }

    /// How often `phase` samples the hardware unless told: `hardware_monitoring.interval_seconds`'s default.
    public static let defaultHardwareInterval: TimeInterval = 10

    /// An error's text for the store: its description (the project's errors describe
    /// themselves), never Foundation's generic "The operation could not be completed".
    static func describe(_ error: Error) -> String {
        if let error = error as? CustomStringConvertible { return error.description }
        return "\(error)"
    }
}
