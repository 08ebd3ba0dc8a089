import StoreCommands
import ExperimentStore
import Foundation
import HardwareMonitor

/// Turns JSON lines into run records. A line that is not a JSON object, or a record that
/// cannot be used, is reported on stderr with its line number and skipped; so is a line
/// longer than `LineSplitter.defaultMaxLineBytes`. Bytes that are not UTF-8 in a record read
/// as U+FFFD; a command's other lines are passed on byte for byte.
struct LineIngester {
    let run: RunHandle
    private(set) var lineNumber = 0
    private(set) var points = 0
    private(set) var records = 0
    private(set) var malformed = 0
    private(set) var consoleLines = 0
    private var lastStep = -1
    /// How the client said the run ended (`{"type": "end", ...}`); lines after it are refused.
    private(set) var end: (status: RunStatus, error: String?)?

    /// The step a console line printed now belongs to: the highest logged so far.
    var currentStep: Int? { lastStep >= 0 ? lastStep : nil }

    init(run: RunHandle) { self.run = run }

    /// A wrapped command's own output, shown as it comes (stdout is a pipe or a file more
    /// often than not, where it would otherwise wait in a buffer), its bytes as they were.
    private mutating func passOn(_ line: UnsafeRawBufferPointer) {
        FileHandle.standardOutput.write(Data(line) + Data([0x0A]))
        keep(.stdout, line)
    }

    /// Counts console lines kept elsewhere (the command's stderr).
    mutating func countConsole(_ lines: Int) { consoleLines += lines }

    /// Keeps a line the command printed as a console line of the run (as text: bytes that
    /// are not UTF-8 read as U+FFFD).
    mutating func keep(_ stream: ConsoleLine.Stream, _ line: UnsafeRawBufferPointer) {
        run.logConsole(stream, String(decoding: line, as: UTF8.self), step: currentStep)
        consoleLines += 1
    }

    mutating func ingest(line: LineSplitter.Line, passThrough: Bool) {
        lineNumber += 1
        guard case .bytes(let bytes) = line else {
            report("longer than \(LineSplitter.defaultMaxLineBytes >> 20) MiB without a newline (not passed on)")
            return
        }
        let blank: Set<UInt8> = [0x20, 0x09]
        guard let first = bytes.firstIndex(where: { !blank.contains($0) }), bytes[first] == UInt8(ascii: "{") else {
            if passThrough { passOn(bytes) } else if bytes.contains(where: { !blank.contains($0) }) { report("not a JSON object") }
            return
        }
        if end == nil, let flat = FlatMetricLine.parse(bytes), !flat.values.isEmpty {
            let step = flat.step ?? lastStep + 1
            run.log(step: step, epoch: flat.epoch, flat.values)
            points += flat.values.count
            lastStep = max(lastStep, step)
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard case .object(let object)? = try? JSONValue.parse(Data(text.utf8)) else {
            if passThrough { passOn(bytes) }
            report("malformed JSON")
            return
        }
        do {
            try record(object)
        } catch {
            report("\(error)")
        }
    }

    private mutating func report(_ problem: String) {
        malformed += 1
        FileHandle.standardError.write(Data("blocklab ingest: line \(lineNumber): \(problem); skipped\n".utf8))
    }

    private mutating func record(_ object: [String: JSONValue]) throws {
        let type: String
        switch object["type"] {
        case nil: type = "metrics"
        case .string(let value)?: type = value
        default: throw CLIError("\"type\" must be a string")
        }
        if let end { throw CLIError("a \(type) record after the run's end record (\(end.status.rawValue))") }
        switch type {
        case "metrics": try metrics(object)
        case "hardware": run.logHardware(try hardware(object)); records += 1
        case "checkpoint":
            try run.recordCheckpoint(path: try string(object, "path"), step: try step(object), epoch: object["epoch"]?.number,
                                     format: (try? string(object, "format")) ?? "unknown",
                                     isBest: object["is_best"] == .bool(true),
                                     metrics: numbers(object["metrics"]))
            records += 1
        case "artifact":
            try run.recordArtifact(path: try string(object, "path"), kind: (try? string(object, "kind")) ?? "file",
                                   name: try? string(object, "name"))
            records += 1
        case "phase":
            let name = try string(object, "name")
            let status = (try? string(object, "status")) ?? "running"
            if status == "running" {
                try run.startPhase(name)
            } else {
                guard let phaseStatus = PhaseStatus(rawValue: status) else {
                    throw CLIError("phase status '\(status)' is not one of running, finished, failed, skipped")
                }
                try run.finishPhase(name, status: phaseStatus, stats: object["stats"] ?? .object([:]), error: try? string(object, "error"))
            }
            records += 1
        case "tag":
            try run.store.setTag(runID: run.id, key: try string(object, "key"), value: try string(object, "value"))
            records += 1
        case "note":
            try run.store.setNote(runID: run.id, note: try string(object, "text"))
            records += 1
        case "console":
            let streamName = (try? string(object, "stream")) ?? "stdout"
            guard let stream = ConsoleLine.Stream(rawValue: streamName), stream != .blocklab else {
                throw CLIError("console stream '\(streamName)' is not stdout or stderr")
            }
            run.logConsole(stream, try string(object, "line"), step: currentStep,
                           time: object["time"]?.number ?? Date().timeIntervalSince1970)
            consoleLines += 1
        case "end":
            let status = (try? string(object, "status")) ?? "finished"
            guard let ending = RunStatus(rawValue: status), [.finished, .failed, .killed].contains(ending) else {
                throw CLIError("end status '\(status)' is not one of finished, failed, killed")
            }
            end = (ending, try? string(object, "error"))
        default:
            throw CLIError("unknown record type '\(type)' (expected metrics, hardware, checkpoint, artifact, phase, tag, note, console or end)")
        }
    }

    private mutating func metrics(_ object: [String: JSONValue]) throws {
        let step: Int
        if object["step"] != nil { step = try self.step(object) } else { step = lastStep + 1 }
        var values = [String: Double]()
        var skipped = [String]()
        func collect(_ value: JSONValue, _ key: String) {
            switch value {
            case .int, .double: values[key] = value.number!
            case .null: values[key] = .nan
            case .object(let inner): for (name, innerValue) in inner { collect(innerValue, "\(key)/\(name)") }
            default: skipped.append(key)
            }
        }
        for (key, value) in object where key != "step" && key != "epoch" && key != "type" && key != "time" {
            collect(value, key)
        }
        if !skipped.isEmpty {
            FileHandle.standardError.write(Data("blocklab ingest: line \(lineNumber): \(skipped.sorted().joined(separator: ", ")) not numbers; those fields skipped\n".utf8))
        }
        guard !values.isEmpty else { throw CLIError("no numeric metric in the record") }
        run.log(step: step, epoch: object["epoch"]?.number, values)
        points += values.count
        lastStep = max(lastStep, step)
    }

    private func step(_ object: [String: JSONValue]) throws -> Int {
        guard let number = object["step"]?.number, number == number.rounded(), number >= 0, number < 9e18 else {
            throw CLIError("\"step\" must be a non-negative integer")
        }
        return Int(number)
    }

    private func string(_ object: [String: JSONValue], _ key: String) throws -> String {
        guard case .string(let value)? = object[key] else { throw CLIError("\"\(key)\" must be a string") }
        return value
    }

    private func numbers(_ value: JSONValue?) -> [String: Double] {
        guard case .object(let object)? = value else { return [:] }
        return object.compactMapValues(\.number)
    }

    static let hardwareFields: Set<String> = ["type", "cpu_percent", "ram_used_bytes", "ram_percent", "process_rss_bytes",
                                              "cpu_temp_c", "step", "time", "gpus"]
    static let gpuFields: Set<String> = ["index", "name", "utilization_pct", "memory_used_bytes", "memory_total_bytes",
                                         "temperature_c", "power_w"]

    /// A hardware record as a sample. Fields of the wrong type and unknown fields are
    /// reported with the line number, like a metric's, and skipped; a record left with no
    /// reading is refused.
    private func hardware(_ object: [String: JSONValue]) throws -> HardwareSample {
        var notNumbers = [String]()
        var misshapen = [String]()
        var unknown = object.keys.filter { !Self.hardwareFields.contains($0) }
        func number(_ value: JSONValue?, _ name: String) -> Double? {
            guard let value, value != .null else { return nil }
            guard let number = value.number else { notNumbers.append(name); return nil }
            return number
        }
        func int64(_ value: JSONValue?, _ name: String) -> Int64? { number(value, name).map { Int64($0) } }
        var gpus = [GPUSample]()
        switch object["gpus"] {
        case nil, .null?: break
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                let field = { (key: String) in "gpus[\(index)].\(key)" }
                guard case .object(let gpu) = item else { misshapen.append("gpus[\(index)] not an object"); continue }
                unknown += gpu.keys.filter { !Self.gpuFields.contains($0) }.map(field)
                var name: String?
                switch gpu["name"] {
                case nil, .null?: break
                case .string(let text)?: name = text
                default: misshapen.append(field("name") + " not a string")
                }
                gpus.append(GPUSample(
                    index: number(gpu["index"], field("index")).map { Int($0) } ?? index, name: name,
                    utilizationPercent: number(gpu["utilization_pct"], field("utilization_pct")),
                    memoryUsedBytes: int64(gpu["memory_used_bytes"], field("memory_used_bytes")),
                    memoryTotalBytes: int64(gpu["memory_total_bytes"], field("memory_total_bytes")),
                    temperatureC: number(gpu["temperature_c"], field("temperature_c")), powerWatts: number(gpu["power_w"], field("power_w"))))
            }
        default: misshapen.append("gpus not a list")
        }
        let sample = HardwareSample(
            time: number(object["time"], "time") ?? Date().timeIntervalSince1970,
            step: number(object["step"], "step").map { Int($0) } ?? (lastStep >= 0 ? lastStep : nil),
            cpuPercent: number(object["cpu_percent"], "cpu_percent"), ramUsedBytes: int64(object["ram_used_bytes"], "ram_used_bytes"),
            ramPercent: number(object["ram_percent"], "ram_percent"), processRSSBytes: int64(object["process_rss_bytes"], "process_rss_bytes"),
            cpuTemperatureC: number(object["cpu_temp_c"], "cpu_temp_c"), gpus: gpus)
        func warn(_ problem: String) { FileHandle.standardError.write(Data("blocklab ingest: line \(lineNumber): \(problem)\n".utf8)) }
        if !notNumbers.isEmpty { warn("\(notNumbers.sorted().joined(separator: ", ")) not numbers; those fields skipped") }
        if !misshapen.isEmpty { warn("\(misshapen.joined(separator: ", ")); skipped") }
        if !unknown.isEmpty { warn("\(unknown.sorted().joined(separator: ", ")) not hardware fields (see the README's record table); skipped") }
        guard sample.cpuPercent != nil || sample.ramUsedBytes != nil || sample.ramPercent != nil || sample.processRSSBytes != nil
                || sample.cpuTemperatureC != nil || !sample.gpus.isEmpty else {
            throw CLIError("no hardware reading in the record (cpu_percent, ram_used_bytes, ram_percent, process_rss_bytes, cpu_temp_c or gpus)")
        }
        return sample
    }
}
