/// One line a run's program printed (`console_lines`): `seq` numbers every line of the run
/// from 1, kept or not, so a gap in `seq` is where the bound dropped lines.
public struct ConsoleLine: Codable, Sendable, Equatable {
    public enum Stream: String, Codable, Sendable, CaseIterable {
        /// The program's standard output (lines that are not records) and its standard error.
        case stdout, stderr
        /// BlockLab's own lines about the run (the pipeline's progress).
        case blocklab
    }

    public var seq: Int64
    public var time: Double
    public var stream: Stream
    public var step: Int?
    public var line: String

    public init(seq: Int64, time: Double, stream: Stream, step: Int?, line: String) {
        self.seq = seq
        self.time = time
        self.stream = stream
        self.step = step
        self.line = line
    }
}
