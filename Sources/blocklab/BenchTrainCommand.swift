import ArgumentParser
import ExperimentStore
import Foundation
import HardwareMonitor
import Torch
import Training
import TrainingPlan

/// `blocklab bench train`: BlockLab's trainer against a plain PyTorch script on the same
/// libtorch build, BLAS and thread count, and BlockLab with and without store logging.
/// Each side runs in its own process, so peak RSS is each one's own.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Benchmark training: tokens/s and peak RSS vs. PyTorch, and the store's logging overhead.")

    @Option(help: "Timed steps per side (median over them).") var steps = 20
    @Option(help: "Untimed warm-up steps per side and round.") var warmup = 3
    @Option(help: "Rounds; each runs every side once, and medians pool the rounds' steps.") var rounds = 1
    @Option(help: "Python with torch (default: /usr/bin/python3 with Debian's python3-torch).") var python = "/usr/bin/python3"
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(name: .customLong("format"), help: "table (the default) or json.") var format: OutputFormat?
    @Option(help: ArgumentHelp("Benchmark data parallelism instead: BlockLab N ranks × 1 thread, BlockLab 1 process × N threads, PyTorch DDP (torchrun, Gloo) N ranks × 1 thread.", valueName: "n"))
    var nproc: Int?
    @Option(help: "torchrun of Debian's python3-torch, for --nproc.") var torchrun = "/usr/bin/torchrun"
    @Option(help: .hidden) var worker: String?
    @Option(help: .hidden) var work: String?

    // The benchmark's model: GPT-2 with 4 layers, 4 heads, 256 wide, sequence 256, vocabulary 8,192, batch 8.
    static let vocab = 8192, time = 256, nEmbd = 256, nLayer = 4, nHead = 4, batch = 8, dropout = 0.1

    func run() throws {
        if let worker, let work { return try runWorker(mode: worker, work: URL(fileURLWithPath: work)) }
        if let nproc { return try BenchTrainRanks(bench: self, ranks: nproc).run(json: json || format == .json) }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-train-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        try writeDataset(at: work.appendingPathComponent("data"))
        let threads = ProcessInfo.processInfo.activeProcessorCount
        log("bench train: GPT-2 \(Self.nLayer)×\(Self.nEmbd), \(Self.nHead) heads, sequence \(Self.time), vocab \(Self.vocab), batch \(Self.batch), \(threads) threads; \(warmup) warm-up + \(steps) timed steps per side")

        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let script = work.appendingPathComponent("peer.py")
        try BenchTrainPeer.script.write(to: script, atomically: true, encoding: .utf8)
        let peerConfig = #"{"vocab": \#(Self.vocab), "time": \#(Self.time), "n_embd": \#(Self.nEmbd), "n_layer": \#(Self.nLayer), "n_head": \#(Self.nHead), "batch": \#(Self.batch), "dropout": \#(Self.dropout), "threads": \#(threads), "warmup": \#(warmup), "steps": \#(steps)}"#
        // Rounds interleave the three sides, so a change in the machine's load hits all of them.
        var sides: [String: Side] = [:]
        for round in 1...rounds {
            for mode in ["store", "nostore"] {
                log("bench train: round \(round)/\(rounds): BlockLab \(mode == "store" ? "with the store" : "without store logging")...")
                sides[mode, default: Side()].add(try decode(try runChild(exe, ["bench", "train", "--worker", mode, "--work", work.path,
                                                                              "--steps", "\(steps)", "--warmup", "\(warmup)"])))
            }
            log("bench train: round \(round)/\(rounds): PyTorch (\(python))...")
            sides["pytorch", default: Side()].add(try decode(try runChild(python, [script.path, peerConfig])))
        }
        let withStore = sides["store"]!, noStore = sides["nostore"]!, peer = sides["pytorch"]!
        let tokensPerStep = Double(Self.batch * Self.time)
        let result = Result(
            tokensPerS: tokensPerStep / withStore.median, pytorchTokensPerS: tokensPerStep / peer.median,
            noStoreTokensPerS: tokensPerStep / noStore.median,
            peakRssMib: withStore.peakRSS / 1_048_576, pytorchPeakRssMib: peer.peakRSS / 1_048_576,
            medianStepS: withStore.median, pytorchMedianStepS: peer.median,
            tokensPerCpuS: tokensPerStep / withStore.medianCPU, pytorchTokensPerCpuS: tokensPerStep / peer.medianCPU,
            loggingOverheadPct: 100 * withStore.loggingPerStep / withStore.median,
            storeVsNoStorePct: 100 * (withStore.median / noStore.median - 1),
            threads: threads, steps: steps, rounds: rounds)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            let f = { (v: Double) in String(format: "%.1f", v) }
            OutputOptions.table(headers: ["measure", "BlockLab", "PyTorch", "ratio"], rows: [
                ["tokens/s (median of \(steps * rounds) steps)", f(result.tokensPerS), f(result.pytorchTokensPerS), String(format: "%.2fx", result.tokensPerS / result.pytorchTokensPerS)],
                ["tokens per CPU-second (median)", f(result.tokensPerCpuS), f(result.pytorchTokensPerCpuS), String(format: "%.2fx", result.tokensPerCpuS / result.pytorchTokensPerCpuS)],
                ["median step (s)", String(format: "%.4f", result.medianStepS), String(format: "%.4f", result.pytorchMedianStepS), ""],
                ["peak RSS (MiB)", f(result.peakRssMib), f(result.pytorchPeakRssMib), String(format: "%.2fx", result.peakRssMib / result.pytorchPeakRssMib)],
                ["tokens/s without store logging", f(result.noStoreTokensPerS), "", ""],
                ["logging overhead (% of step time)", String(format: "%.4f", result.loggingOverheadPct), "", ""],
                ["with vs. without store (% step time)", String(format: "%+.2f", result.storeVsNoStorePct), "", ""],
            ].map { $0.map(Optional.some) }).split(separator: "\n").forEach { print($0) }
        }
    }

    struct Result: Encodable {
        let tokensPerS: Double, pytorchTokensPerS: Double, noStoreTokensPerS: Double
        let peakRssMib: Double, pytorchPeakRssMib: Double
        let medianStepS: Double, pytorchMedianStepS: Double
        /// Tokens per second of process CPU time (all threads): less sensitive to other load.
        let tokensPerCpuS: Double, pytorchTokensPerCpuS: Double
        let loggingOverheadPct: Double, storeVsNoStorePct: Double
        let threads: Int, steps: Int, rounds: Int
    }

    /// Step times and peaks of one side, pooled over rounds.
    struct Side {
        var steps: [Double] = []
        var cpu: [Double] = []
        var peakRSS = 0.0
        var logging: [Double] = []
        mutating func add(_ r: [String: Any]) {
            steps += (r["step_times"] as? [Double]) ?? []
            cpu += (r["step_cpu_times"] as? [Double]) ?? []
            peakRSS = max(peakRSS, (r["peak_rss_bytes"] as? Double) ?? 0)
            if let l = r["logging_s_per_step"] as? Double { logging.append(l) }
        }
        var median: Double { let s = steps.sorted(); return s[s.count / 2] }
        var medianCPU: Double { let s = cpu.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
        var loggingPerStep: Double { logging.isEmpty ? 0 : logging.reduce(0, +) / Double(logging.count) }
    }

    /// One BlockLab side: the real trainer on the benchmark dataset; prints one JSON line.
    func runWorker(mode: String, work: URL) throws {
        let store = try ExperimentStore.open(at: work.appendingPathComponent("bench-\(mode).db").path)
        if mode == "ranks" { return try BenchTrainRanks.runRank(work: work, bench: self) }
        var options = TrainOptions(dataDirectory: work.appendingPathComponent("data"), outputDirectory: work.appendingPathComponent("out-\(mode)"))
        options.configYAML = nil
        options.overrides = Self.overrides(batch: Self.batch, steps: warmup + steps)
            + (mode == "single" ? ["training.threads=\(nproc ?? 1)"] : [])
        options.recordMetrics = mode != "nostore"
        options.runName = "bench-train-\(mode)"
        options.progress = { _ in }
        let outcome = try Trainer.run(options, store: store)
        guard outcome.status == .finished else { throw CLIError("the benchmark run failed: \(outcome.error ?? "")") }
        let timed = outcome.stepSeconds.filter { $0.key > warmup }.sorted { $0.key < $1.key }.map(\.value)
        let cpu = outcome.stepCPUSeconds.filter { $0.key > warmup }.sorted { $0.key < $1.key }.map(\.value)
        let out: [String: Any] = ["step_times": timed, "step_cpu_times": cpu, "peak_rss_bytes": Double(HardwareMonitor.peakRSS() ?? 0),
                                  "logging_s_per_step": outcome.loggingSeconds / Double(outcome.stepSeconds.count)]
        print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
    }

    /// The benchmark's training config: its model, `batch` sequences per micro-batch (per rank),
    /// `steps` steps, no evaluation or checkpoint before the last step.
    static func overrides(batch: Int, steps: Int) -> [String] {
        ["model.preset=tiny", "model.n_layer=\(nLayer)", "model.n_head=\(nHead)", "model.n_embd=\(nEmbd)",
         "model.n_positions=\(time)", "model.dropout=\(dropout)", "training.device=cpu",
         "training.batch_size=\(batch)", "training.max_steps=\(steps)", "training.base_learning_rate=3e-4",
         "training.warmup_steps_min=1", "training.warmup_steps_max=1", "training.eval_every_steps=100000",
         "training.eval_max_batches=1", "training.checkpoint_every_steps=100000", "training.progress_every_steps=100000",
         "epoch_calculation.min_epochs=1", "epoch_calculation.max_epochs=1", "hardware_monitoring.interval_seconds=1"]
    }

    /// Sequences of 257 tokens (256 inputs and their next tokens), random ids.
    func writeDataset(at dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 1)
        let length = Self.time + 1
        for (name, count) in [("train.bin", Self.batch * (warmup + steps)), ("val.bin", Self.batch)] {
            var data = Data()
            func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
            func u64(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { data.append(contentsOf: $0) } }
            data.append(contentsOf: Array("BLOCKTOK".utf8))
            u32(1); u32(2); u64(count * length); u32(length); u32(0); u64(count); u32(length); u32(0); u32(Self.vocab)
            data.append(contentsOf: [UInt8](repeating: 0, count: 12))
            for _ in 0..<(count * length) { withUnsafeBytes(of: UInt16.random(in: 0..<UInt16(Self.vocab), using: &rng).littleEndian) { data.append(contentsOf: $0) } }
            try data.write(to: dir.appendingPathComponent(name))
        }
    }

    func runChild(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { throw CLIError("cannot run \(executable): \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("\(executable) \(arguments.first ?? "") exited with \(process.terminationStatus); for the PyTorch side install python3-torch (scripts/setup/training.sh)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    func decode(_ text: String) throws -> [String: Any] {
        guard let line = text.split(separator: "\n").last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CLIError("a benchmark side printed no result: \(text.suffix(500))")
        }
        return object.mapValues { value -> Any in
            if let list = value as? [NSNumber] { return list.map(\.doubleValue) }
            if let number = value as? NSNumber { return number.doubleValue }
            return value
        }
    }

    func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
