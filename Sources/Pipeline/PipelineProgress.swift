import ExperimentStore

/// Where the pipeline reports what it is doing: counts of a phase's work (for a line with a
/// rate and the time left) and plain notes. The command line draws them on stderr.
public protocol PipelineProgress: AnyObject, Sendable {
    /// `phase` starts (`how`: running, or reusing an earlier run's outputs): rates count from here.
    func begin(phase: String, _ how: String)
    /// `done` of `total` `unit` of `phase`'s work are done.
    func update(phase: String, done: Int, total: Int, unit: String)
    /// A line to show as it is (a phase starting, a reuse, a training step, a warning).
    func note(_ line: String)
    /// From now on every note is also kept in `run`'s console log (stream `blocklab`), as shown.
    func record(into run: RunHandle)
}

extension PipelineProgress {
    /// Keeps nothing: a display that shows nothing has nothing to keep.
    public func record(into run: RunHandle) {}
}

/// Reports nothing (library use and tests).
public final class SilentProgress: PipelineProgress {
    public init() {}
    public func begin(phase: String, _ how: String) {}
    public func update(phase: String, done: Int, total: Int, unit: String) {}
    public func note(_ line: String) {}
}
