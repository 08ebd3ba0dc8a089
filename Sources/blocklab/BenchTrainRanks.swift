import ExperimentStore
import Foundation
import HardwareMonitor
import Training

/// `blocklab bench train --nproc N`: data-parallel training in one run of the benchmark, on
/// `bench train`'s model and a global batch of 8 sequences: BlockLab N ranks × 1 thread (each
/// rank batch 8/N, the store recording as in real use), BlockLab 1 process × N threads, and
/// PyTorch's DistributedDataParallel over Gloo, N ranks × 1 thread, started by torchrun
/// (`scripts/bench/train_ddp_peer.py`, Debian's python3-torch: the same libtorch and BLAS).
/// Rounds interleave the sides. Throughput is the global batch's tokens over the median of
/// rank 0's step times (steps are in lockstep); peak RSS is the largest rank's (getrusage's
/// high-water mark, each process its own).
struct BenchTrainRanks {
    let bench: BenchTrainCommand
    let ranks: Int

    struct Result: Encodable {
        let ddpTokensPerS: Double, pytorchDdpTokensPerS: Double, singleProcessTokensPerS: Double
        let ddpPeakRssMib: Double, pytorchDdpPeakRssMib: Double, singleProcessPeakRssMib: Double
        /// BlockLab's N ranks against PyTorch DDP, and against BlockLab's one process.
        let ddpVsPytorchDdp: Double, ddpVsSingleProcess: Double
        let ddpMedianStepS: Double, pytorchDdpMedianStepS: Double, singleProcessMedianStepS: Double
        let ranks: Int, globalBatch: Int, steps: Int, rounds: Int, cores: Int, torch: String
    }

    /// One side's rank-0 step times and every rank's peak RSS, pooled over rounds.
    struct Side {
        var steps: [Double] = []
        var peakRSS = 0.0
        mutating func add(rank0 stepTimes: [Double], peaks: [Double]) {
            steps += stepTimes
            peakRSS = max(peakRSS, peaks.max() ?? 0)
        }
        var median: Double { let s = steps.sorted(); return s[s.count / 2] }
    }

    func run(json: Bool) throws {
        guard ranks >= 2 else { throw CLIError("--nproc must be at least 2 (ranks to compare with one process), got \(ranks)") }
        guard BenchTrainCommand.batch % ranks == 0 else {
            throw CLIError("--nproc \(ranks) does not divide the benchmark's global batch of \(BenchTrainCommand.batch): use 2, 4 or 8")
        }
        guard FileManager.default.isExecutableFile(atPath: bench.torchrun) else {
            throw CLIError("torchrun not found at \(bench.torchrun): install Debian's python3-torch (scripts/setup/training.sh) or pass --torchrun PATH")
        }
        let script = Self.peerScript()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-ranks-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        try bench.writeDataset(at: work.appendingPathComponent("data"))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let common = ["--work", work.path, "--steps", "\(bench.steps)", "--warmup", "\(bench.warmup)", "--nproc", "\(ranks)"]
        bench.log("bench train --nproc \(ranks): GPT-2 \(BenchTrainCommand.nLayer)×\(BenchTrainCommand.nEmbd), sequence \(BenchTrainCommand.time), global batch \(BenchTrainCommand.batch), \(cores) cores; \(bench.warmup) warm-up + \(bench.steps) timed steps per side and round")

        var ddp = Side(), single = Side(), peer = Side()
        var torchVersion = "?"
        for round in 1...bench.rounds {
            bench.log("bench train: round \(round)/\(bench.rounds): BlockLab \(ranks) ranks × 1 thread...")
            let outputs = try Self.runRanks(exe, ["bench", "train", "--worker", "ranks"] + common, ranks: ranks)
            let results = try outputs.map(bench.decode)
            ddp.add(rank0: results[0]["step_times"] as? [Double] ?? [], peaks: results.map { $0["peak_rss_bytes"] as? Double ?? 0 })

            bench.log("bench train: round \(round)/\(bench.rounds): BlockLab 1 process × \(ranks) threads...")
            let alone = try bench.decode(try bench.runChild(exe, ["bench", "train", "--worker", "single"] + common))
            single.add(rank0: alone["step_times"] as? [Double] ?? [], peaks: [alone["peak_rss_bytes"] as? Double ?? 0])

            bench.log("bench train: round \(round)/\(bench.rounds): PyTorch DDP, torchrun \(ranks) ranks × 1 thread...")
            let out = work.appendingPathComponent("peer-\(round)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let config = #"{"vocab": \#(BenchTrainCommand.vocab), "time": \#(BenchTrainCommand.time), "n_embd": \#(BenchTrainCommand.nEmbd), "n_layer": \#(BenchTrainCommand.nLayer), "n_head": \#(BenchTrainCommand.nHead), "batch": \#(BenchTrainCommand.batch), "dropout": \#(BenchTrainCommand.dropout), "threads": 1, "warmup": \#(bench.warmup), "steps": \#(bench.steps)}"#
            // -r/-t as mappings: torch 1.13's torchrun cannot parse its plain defaults on Python 3.11.
            let mapping = (0..<ranks).map { "\($0):2" }.joined(separator: ",")
            _ = try bench.runChild(bench.torchrun, ["--nproc_per_node", "\(ranks)", "--master_port", "\(try Self.freePort())",
                                                    "-r", mapping, "-t", mapping, script, config, out.path])
            let peerResults = try (0..<ranks).map { r -> [String: Any] in
                guard let data = FileManager.default.contents(atPath: out.appendingPathComponent("rank-\(r).json").path) else {
                    throw CLIError("the PyTorch DDP peer wrote no result for rank \(r) in \(out.path)")
                }
                return try bench.decode(String(decoding: data, as: UTF8.self))
            }
            peer.add(rank0: peerResults[0]["step_times"] as? [Double] ?? [], peaks: peerResults.map { $0["peak_rss_bytes"] as? Double ?? 0 })
            torchVersion = peerResults[0]["torch"] as? String ?? torchVersion
        }

        let tokens = Double(BenchTrainCommand.batch * BenchTrainCommand.time)
        let mib = 1_048_576.0
        let result = Result(
            ddpTokensPerS: tokens / ddp.median, pytorchDdpTokensPerS: tokens / peer.median, singleProcessTokensPerS: tokens / single.median,
            ddpPeakRssMib: ddp.peakRSS / mib, pytorchDdpPeakRssMib: peer.peakRSS / mib, singleProcessPeakRssMib: single.peakRSS / mib,
            ddpVsPytorchDdp: peer.median / ddp.median, ddpVsSingleProcess: single.median / ddp.median,
            ddpMedianStepS: ddp.median, pytorchDdpMedianStepS: peer.median, singleProcessMedianStepS: single.median,
            ranks: ranks, globalBatch: BenchTrainCommand.batch, steps: bench.steps, rounds: bench.rounds, cores: cores, torch: torchVersion)
        if json {
            print(String(decoding: try ExperimentStore.jsonEncoder().encode(result), as: UTF8.self))
            return
        }
        let f = { (v: Double) in String(format: "%.1f", v) }
        let n = bench.steps * bench.rounds
        print(OutputOptions.table(headers: ["measure", "BlockLab \(ranks) ranks", "PyTorch DDP", "ratio", "BlockLab 1 process"], rows: [
            ["tokens/s (median of \(n) steps)", f(result.ddpTokensPerS), f(result.pytorchDdpTokensPerS),
             String(format: "%.2fx", result.ddpVsPytorchDdp), f(result.singleProcessTokensPerS)],
            ["median step (s)", String(format: "%.4f", result.ddpMedianStepS), String(format: "%.4f", result.pytorchDdpMedianStepS), "",
             String(format: "%.4f", result.singleProcessMedianStepS)],
            ["peak RSS per rank (MiB, largest)", f(result.ddpPeakRssMib), f(result.pytorchDdpPeakRssMib),
             String(format: "%.2fx", result.ddpPeakRssMib / result.pytorchDdpPeakRssMib), f(result.singleProcessPeakRssMib)],
            ["\(ranks) ranks vs 1 process (tokens/s)", String(format: "%.2fx", result.ddpVsSingleProcess), "", "", ""],
        ].map { $0.map(Optional.some) }), terminator: "")
    }

    /// A BlockLab rank of the benchmark (`--worker ranks`, its place in WORLD_SIZE/RANK/...):
    /// the real trainer, 1 thread, batch 8/N; rank 0 records the run in a store of its own.
    /// Prints one JSON line: rank 0's step times, and every rank's peak RSS.
    static func runRank(work: URL, bench: BenchTrainCommand) throws {
        let world = try World.fromEnvironment()
        var options = TrainOptions(dataDirectory: work.appendingPathComponent("data"), outputDirectory: work.appendingPathComponent("out-ranks"))
        options.overrides = BenchTrainCommand.overrides(batch: BenchTrainCommand.batch / world.size, steps: bench.warmup + bench.steps)
            + ["training.threads=1"]
        options.world = world
        options.runName = "bench-train-ranks"
        options.progress = { _ in }
        var out: [String: Any] = [:]
        if world.ownsTheRun {
            let store = try ExperimentStore.open(at: work.appendingPathComponent("bench-ranks.db").path)
            let outcome = try Trainer.run(options, store: store)
            guard outcome.status == .finished else { throw CLIError("the benchmark run failed: \(outcome.error ?? "")") }
            out["step_times"] = outcome.stepSeconds.filter { $0.key > bench.warmup }.sorted { $0.key < $1.key }.map(\.value)
        } else {
            try Trainer.follow(options)
        }
        out["peak_rss_bytes"] = Double(HardwareMonitor.peakRSS() ?? 0)
        print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
    }

    /// Starts `ranks` processes of `executable` as the ranks of one world on 127.0.0.1 and a
    /// free port; waits for all; returns each one's stdout, in rank order.
    static func runRanks(_ executable: String, _ arguments: [String], ranks: Int) throws -> [String] {
        let port = try freePort()
        var processes: [(Process, Pipe)] = []
        for rank in 0..<ranks {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            for (key, value) in ["WORLD_SIZE": "\(ranks)", "RANK": "\(rank)", "LOCAL_RANK": "\(rank)", "LOCAL_WORLD_SIZE": "\(ranks)",
                                 "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)"] { environment[key] = value }
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.standardError
            try process.run()
            processes.append((process, out))
        }
        let outputs = processes.map { String(decoding: $0.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        for (rank, (process, _)) in processes.enumerated() {
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CLIError("BlockLab's rank \(rank) of the benchmark exited with \(process.terminationStatus)") }
        }
        return outputs
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, ok else { throw CLIError("no free TCP port on 127.0.0.1 for the benchmark's ranks") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// scripts/bench/train_ddp_peer.py, from the working directory or beside the sources.
    static func peerScript() -> String {
        let relative = "scripts/bench/train_ddp_peer.py"
        if FileManager.default.fileExists(atPath: relative) { return relative }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../\(relative)").standardized.path
    }
}
