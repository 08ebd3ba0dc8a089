import ArgumentParser
import ExperimentStore
import Foundation
import HardwareMonitor
import Tokenizer
import Training
import TrainingPlan

/// `blocklab bench train`: BlockLab's trainer against a plain PyTorch script on the same
/// libtorch build, BLAS and thread count, and BlockLab with and without store logging.
/// Each side runs in its own process (BlockLab's as `bench train --worker`), so peak RSS is
/// each one's own. With `--nproc N`, data-parallel training instead (BenchTrain+Ranks.swift).
public struct BenchTrain: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Benchmark training: tokens/s and peak RSS vs. PyTorch, and the store's logging overhead.")

    /// Debian 12's python3-torch (1.13.1+dfsg), the same libtorch BlockLab links; apt pins it,
    /// and its package metadata reports this version.
    static let pinnedPeers = PythonPeers(venv: nil, requirements: [.init("torch", "1.13.0a0+gitunknown")],
                                         installHint: "Install Debian's python3-torch (scripts/setup/training.sh).")

    @Option(help: "Timed steps per side (median over them).") var steps = 20
    @Option(help: "Untimed warm-up steps per side and round.") var warmup = 3
    @Option(help: "Rounds; each runs every side once, and medians pool the rounds' steps.") var rounds = 1
    @Option(help: "Python with torch (default: /usr/bin/python3 with Debian's python3-torch).") var python = "/usr/bin/python3"
    @Option(help: ArgumentHelp("Benchmark data parallelism instead: BlockLab N ranks × 1 thread and 1 process × N threads beside PyTorch DDP (torchrun, Gloo), N ranks × 1 thread.", valueName: "n"))
    var nproc: Int?
    @OptionGroup var output: BenchOutputOptions
    @Option(help: .hidden) var worker: String?
    @Option(help: .hidden) var work: String?
    @Option(help: .hidden) var results: String?

    public init() {}

    // The benchmark's model: GPT-2 with 4 layers, 4 heads, 256 wide, sequence 256, vocabulary 8,192, batch 8.
    static let vocab = 8192, time = 256, nEmbd = 256, nLayer = 4, nHead = 4, batch = 8, dropout = 0.1

    public func validate() throws {
        guard steps >= 1, warmup >= 0, rounds >= 1 else { throw ValidationError("--steps and --rounds must be at least 1, --warmup at least 0.") }
        if let worker, !["store", "nostore", "rank", "single"].contains(worker) { throw ValidationError("--worker is store, nostore, rank or single.") }
        if let nproc {
            guard nproc >= 2, Self.batch % nproc == 0 else {
                throw ValidationError("--nproc \(nproc) must be at least 2 and divide the benchmark's global batch of \(Self.batch): use 2, 4 or 8.")
            }
        }
    }

    public func run() async throws {
        if let worker, let work {
            return worker == "rank" ? try runRank(work: URL(fileURLWithPath: work)) : try runWorker(mode: worker, work: URL(fileURLWithPath: work))
        }
        let report = if let nproc { try await measureRanks(nproc) } else { try await measure() }
        print(report.render(output.chosen), terminator: "")
    }

    /// Runs every side and returns the report (nothing printed on stdout).
    func measure() async throws -> BenchReport {
        let progress = BenchProgress("train")
        let torch = try await Self.pinnedPeers.prepare(override: python, progress: progress)
        return try await withWorkDirectory("train") { work in
            try writeDataset(at: work.appendingPathComponent("data"))
            let threads = ProcessInfo.processInfo.activeProcessorCount
            progress.say("GPT-2 \(Self.nLayer)×\(Self.nEmbd), \(Self.nHead) heads, sequence \(Self.time), vocab \(Self.vocab), batch \(Self.batch), "
                         + "\(threads) threads; \(warmup) warm-up + \(steps) timed steps per side")
            let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let script = try PythonPeers.script("train_pytorch.py")
            let peerConfig: JSONValue = .object([
                "vocab": .int(Int64(Self.vocab)), "time": .int(Int64(Self.time)), "n_embd": .int(Int64(Self.nEmbd)),
                "n_layer": .int(Int64(Self.nLayer)), "n_head": .int(Int64(Self.nHead)), "batch": .int(Int64(Self.batch)),
                "dropout": .double(Self.dropout), "threads": .int(Int64(threads)), "warmup": .int(Int64(warmup)), "steps": .int(Int64(steps)),
            ])
            // Rounds interleave the three sides, so a change in the machine's load hits all of them.
            var sides: [String: Side] = [:]
            let meter = progress.meter("sides (BlockLab with and without the store, PyTorch)", total: 3 * rounds, unit: "runs")
            for round in 1...rounds {
                for mode in ["store", "nostore"] {
                    progress.say("round \(round)/\(rounds): BlockLab \(mode == "store" ? "with the store" : "without store logging")")
                    let printed = try await ChildProcess.output(exe, ["bench", "train", "--worker", mode, "--work", work.path,
                                                                      "--steps", "\(steps)", "--warmup", "\(warmup)"], passStandardError: true)
                    sides[mode, default: Side()].add(try PythonPeers.result(printed, peer: "BlockLab worker"))
                    meter.update(3 * (round - 1) + (mode == "store" ? 1 : 2))
                }
                progress.say("round \(round)/\(rounds): PyTorch (\(torch.path))")
                let printed = try await ChildProcess.output(torch.path, [script, peerConfig.jsonString()], passStandardError: true)
                sides["pytorch", default: Side()].add(try PythonPeers.result(printed, peer: "PyTorch"))
                meter.update(3 * round)
            }
            let withStore = sides["store"]!, noStore = sides["nostore"]!, peer = sides["pytorch"]!
            let tokensPerStep = Double(Self.batch * Self.time)
            var report = BenchReport(peers: ["PyTorch": torch.versions["torch"]].compactMapValues { $0 })
            report["tokens_per_s"] = tokensPerStep / median(withStore.steps)
            report["pytorch_tokens_per_s"] = tokensPerStep / median(peer.steps)
            report["no_store_tokens_per_s"] = tokensPerStep / median(noStore.steps)
            report["peak_rss_mib"] = withStore.peakRSS / 1_048_576
            report["pytorch_peak_rss_mib"] = peer.peakRSS / 1_048_576
            report["median_step_s"] = median(withStore.steps)
            report["pytorch_median_step_s"] = median(peer.steps)
            // Tokens per second of process CPU time (all threads): less sensitive to other load.
            report["tokens_per_cpu_s"] = tokensPerStep / median(withStore.cpu)
            report["pytorch_tokens_per_cpu_s"] = tokensPerStep / median(peer.cpu)
            report["logging_overhead_pct"] = 100 * withStore.loggingPerStep / median(withStore.steps)
            report["store_vs_no_store_pct"] = 100 * (median(withStore.steps) / median(noStore.steps) - 1)
            report["threads"] = Double(threads)
            report["steps"] = Double(steps)
            report["rounds"] = Double(rounds)

            report.compare("tokens/s (median of \(steps * rounds) steps)", blocklab: report["tokens_per_s"], peer: "PyTorch",
                           report["pytorch_tokens_per_s"], better: .higher, digits: 1)
            report.compare("tokens per CPU-second (median)", blocklab: report["tokens_per_cpu_s"], peer: "PyTorch",
                           report["pytorch_tokens_per_cpu_s"], better: .higher, digits: 1)
            report.compare("median step (s)", blocklab: report["median_step_s"], peer: "PyTorch", report["pytorch_median_step_s"],
                           better: .lower, digits: 4)
            report.compare("peak RSS (MiB)", blocklab: report["peak_rss_mib"], peer: "PyTorch", report["pytorch_peak_rss_mib"],
                           better: .lower, digits: 1)
            report.figure("tokens/s without store logging", blocklab: report["no_store_tokens_per_s"], digits: 1)
            report.figure("logging overhead (% of step time)", blocklab: report["logging_overhead_pct"], digits: 4)
            report.figure("with vs. without store (% step time)", blocklab: report["store_vs_no_store_pct"], digits: 2)
            report.notes.append("\(threads) threads, \(rounds) round(s); ratio above 1 favours BlockLab")
            return report
        }
    }

    /// Step times and peaks of one side, pooled over rounds.
    struct Side {
        var steps: [Double] = []
        var cpu: [Double] = []
        var peakRSS = 0.0
        var logging: [Double] = []

        mutating func add(_ result: [String: JSONValue]) {
            func numbers(_ key: String) -> [Double] {
                guard case .array(let values)? = result[key] else { return [] }
                return values.compactMap(\.number)
            }
            steps += numbers("step_times")
            cpu += numbers("step_cpu_times")
            peakRSS = max(peakRSS, result["peak_rss_bytes"]?.number ?? 0)
            if let value = result["logging_s_per_step"]?.number { logging.append(value) }
        }

        var loggingPerStep: Double { logging.isEmpty ? 0 : logging.reduce(0, +) / Double(logging.count) }
    }

    /// One BlockLab side: the real trainer on the benchmark dataset; prints one JSON line.
    /// `single` is `--nproc`'s one process: `nproc` threads, the store recording.
    func runWorker(mode: String, work: URL) throws {
        let store = try ExperimentStore.open(at: work.appendingPathComponent("bench-\(mode).db").path)
        var options = TrainOptions(dataDirectory: work.appendingPathComponent("data"), outputDirectory: work.appendingPathComponent("out-\(mode)"))
        options.configYAML = nil
        options.overrides = trainingOverrides(batch: Self.batch) + (mode == "single" ? ["training.threads=\(nproc ?? 1)"] : [])
        options.recordMetrics = mode != "nostore"
        options.runName = "bench-train-\(mode)"
        options.progress = { _ in }
        let outcome = try Trainer.run(options, store: store)
        guard outcome.status == .finished else { throw BenchError("the benchmark run failed: \(outcome.error ?? "")") }
        let timed = outcome.stepSeconds.filter { $0.key > warmup }.sorted { $0.key < $1.key }.map(\.value)
        let cpu = outcome.stepCPUSeconds.filter { $0.key > warmup }.sorted { $0.key < $1.key }.map(\.value)
        let result: JSONValue = .object([
            "step_times": .array(timed.map(JSONValue.double)), "step_cpu_times": .array(cpu.map(JSONValue.double)),
            "peak_rss_bytes": .double(Double(HardwareMonitor.peakRSS() ?? 0)),
            "logging_s_per_step": .double(outcome.loggingSeconds / Double(outcome.stepSeconds.count)),
        ])
        print(result.jsonString())
    }

    /// The benchmark's training config: its model, `batch` sequences per step (per rank),
    /// warm-up + timed steps, no evaluation or checkpoint before the last step.
    func trainingOverrides(batch: Int) -> [String] {
        ["model.preset=tiny", "model.n_layer=\(Self.nLayer)", "model.n_head=\(Self.nHead)", "model.n_embd=\(Self.nEmbd)",
         "model.n_positions=\(Self.time)", "model.dropout=\(Self.dropout)", "training.device=cpu",
         "training.batch_size=\(batch)", "training.max_steps=\(warmup + steps)", "training.base_learning_rate=3e-4",
         "training.warmup_steps_min=1", "training.warmup_steps_max=1", "training.eval_every_steps=100000",
         "training.eval_max_batches=1", "training.checkpoint_every_steps=100000", "training.progress_every_steps=100000",
         "epoch_calculation.min_epochs=1", "epoch_calculation.max_epochs=1", "hardware_monitoring.interval_seconds=1"]
    }

    /// Sequences of 257 tokens (256 inputs and their next tokens), random ids from a seeded generator.
    func writeDataset(at directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = SeededGenerator(seed: 1)
        let length = Self.time + 1
        for (name, count) in [("train.bin", Self.batch * (warmup + steps)), ("val.bin", Self.batch)] {
            let header = TokenFile.Header(bytesPerToken: TokenFile.Header.bytesPerToken(vocabularySize: Self.vocab),
                                          sequenceLength: UInt32(length), overlap: 0, sequenceCount: UInt64(count),
                                          lastSequenceValidTokens: UInt32(length), padTokenID: 0, vocabularySize: UInt32(Self.vocab))
            let ids = (0..<(count * length)).map { _ in UInt32(UInt16.random(in: 0..<UInt16(Self.vocab), using: &generator)) }
            try TokenFile.write(directory.appendingPathComponent(name).path, header: header, sequences: ids)
        }
    }
}
