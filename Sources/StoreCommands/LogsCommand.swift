import ArgumentParser
import ExperimentStore
import Foundation

/// `blocklab logs RUN`: what a run's program printed, as the store keeps it (console_lines).
package struct LogsCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a run's console log: its program's output lines, as the store keeps them.",
        discussion: """
            Lines come from `ingest -- CMD` (the command's stdout lines that are not records, and its stderr), \
            the Python package (what the program printed), and the pipeline and the phase commands (their progress \
            lines, stream `blocklab`). A run keeps its first \
            10,000 lines and its latest 10,000; where lines were dropped, the table says how many (JSON and CSV \
            show it as a gap in `seq`). With --follow, new lines are printed as they are written until the run \
            ends; JSON is then one object per line.
            """)
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Flag(help: "Keep printing new lines until the run ends.") var follow = false

    /// How often --follow looks at the store.
    static let pollInterval: TimeInterval = 0.25
    static let headers = ["seq", "time", "stream", "step", "line"]

    package func run() throws {
        let store = try storeOptions.openForReading()
        let info = try store.run(runRef)
        var last: Int64 = 0
        var first = true
        while true {
            // Whether the run was over before this read: then this read holds its last lines.
            let over = try !follow || store.run(String(info.id)).status != .running
            let lines = try store.consoleLines(runID: info.id, after: last)
            print(lines, after: last, header: first, streaming: follow)
            first = false
            last = lines.last?.seq ?? last
            if over { return }
            fflush(nil)
            Thread.sleep(forTimeInterval: Self.pollInterval)
        }
    }

    /// Prints lines that follow `seq` `after`; a table says where the bound dropped lines.
    private func print(_ lines: [ConsoleLine], after: Int64, header: Bool, streaming: Bool) {
        switch output.format {
        case .table:
            var out = header ? "time                      stream    step  line\n" : ""
            var previous = after
            for line in lines {
                if previous > 0, line.seq > previous + 1 {
                    out += "…                         (\(line.seq - previous - 1) lines dropped: a run keeps its first "
                        + "\(RunHandle.consoleHead) and latest \(RunHandle.consoleTail))\n"
                }
                previous = line.seq
                let time = (Display.time(line.time) ?? "").padding(toLength: 26, withPad: " ", startingAt: 0)
                let stream = line.stream.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                let step = line.step.map(String.init) ?? "-"
                out += time + stream + String(repeating: " ", count: max(0, 6 - step.count)) + step + "  " + line.line + "\n"
            }
            Swift.print(out, terminator: "")
        case .csv:
            let csv = OutputOptions.csv(headers: Self.headers, rows: lines.map(Self.cells))
            let body = csv.range(of: "\r\n").map { String(csv[$0.upperBound...]) } ?? ""
            Swift.print(header ? csv : body, terminator: "")
        case .json:
            let objects = lines.map { line in
                JSONValue.object(["seq": .int(line.seq), "time": .double(line.time), "stream": .string(line.stream.rawValue),
                                  "step": line.step.map { .int(Int64($0)) } ?? .null, "line": .string(line.line)])
            }
            if streaming {
                for object in objects { Swift.print(object.jsonString()) }
            } else {
                Swift.print(JSONValue.array(objects).jsonString(pretty: true))
            }
        }
    }

    private static func cells(_ line: ConsoleLine) -> [String?] {
        [String(line.seq), String(line.time), line.stream.rawValue, line.step.map(String.init), line.line]
    }
}
