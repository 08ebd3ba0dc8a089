import ExperimentStore
import Foundation
import HardwareMonitor
import Training

/// `blocklab bench train --nproc N`: data-parallel training, on `bench train`'s model and its
/// global batch of 8 sequences, three sides in one run:
///  - BlockLab N ranks × 1 thread (each rank batch 8/N, rank 0 recording in a store as in
///    real use), started by torchrun (`--no_python`), so it is the same launcher as the peer's;
///  - PyTorch's DistributedDataParallel over Gloo, N ranks × 1 thread, started by torchrun
///    (`scripts/bench/train_ddp_peer.py` on Debian's python3-torch: the same libtorch and BLAS);
///  - BlockLab 1 process × N threads, the same global batch (what N ranks should beat).
/// Rounds interleave the sides. Throughput is the global batch's tokens over the median of
/// rank 0's step times (the ranks step in lockstep); peak RSS is the largest rank's
/// (getrusage's high-water mark, each process its own). Each rank writes its result to
/// `rank-R.json` in a folder the benchmark names, since torchrun mixes the ranks' stdout.
extension BenchTrain {
    /// Runs the three sides and returns the report (nothing printed on stdout).
    func measureRanks(_ ranks: Int) async throws -> BenchReport {
        let progress = BenchProgress("train")
        let torch = try await Self.pinnedPeers.prepare(override: python, progress: progress)
        return try await withWorkDirectory("train-ranks") { work in
            try writeDataset(at: work.appendingPathComponent("data"))
            let cores = ProcessInfo.processInfo.activeProcessorCount
            progress.say("GPT-2 \(Self.nLayer)×\(Self.nEmbd), sequence \(Self.time), global batch \(Self.batch), \(cores) cores; "
                         + "\(warmup) warm-up + \(steps) timed steps per side and round")
            let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let script = try PythonPeers.script("train_ddp_peer.py")
            let common = ["--work", work.path, "--steps", "\(steps)", "--warmup", "\(warmup)", "--nproc", "\(ranks)"]
            let peerConfig: JSONValue = .object([
                "vocab": .int(Int64(Self.vocab)), "time": .int(Int64(Self.time)), "n_embd": .int(Int64(Self.nEmbd)),
                "n_layer": .int(Int64(Self.nLayer)), "n_head": .int(Int64(Self.nHead)), "batch": .int(Int64(Self.batch)),
                "dropout": .double(Self.dropout), "threads": .int(1), "warmup": .int(Int64(warmup)), "steps": .int(Int64(steps)),
            ])
            var ddp = RankSide(), single = RankSide(), peer = RankSide()
            let meter = progress.meter("sides (BlockLab ranks, BlockLab one process, PyTorch DDP)", total: 3 * rounds, unit: "runs")
            for round in 1...rounds {
                progress.say("round \(round)/\(rounds): BlockLab \(ranks) ranks × 1 thread (torchrun)")
                let ours = work.appendingPathComponent("blocklab-\(round)")
                try FileManager.default.createDirectory(at: ours, withIntermediateDirectories: true)
                _ = try await torchrun(torch.path, ranks: ranks, ["--no_python", exe, "bench", "train", "--worker", "rank"] + common
                                       + ["--results", ours.path])
                ddp.add(try Self.rankResults(ours, ranks: ranks, peer: "BlockLab rank"))
                meter.update(3 * round - 2)

                progress.say("round \(round)/\(rounds): BlockLab 1 process × \(ranks) threads")
                let printed = try await ChildProcess.output(exe, ["bench", "train", "--worker", "single"] + common, passStandardError: true)
                single.add([try PythonPeers.result(printed, peer: "BlockLab worker")])
                meter.update(3 * round - 1)

                progress.say("round \(round)/\(rounds): PyTorch DDP, \(ranks) ranks × 1 thread (torchrun, \(torch.path))")
                let theirs = work.appendingPathComponent("pytorch-\(round)")
                try FileManager.default.createDirectory(at: theirs, withIntermediateDirectories: true)
                _ = try await torchrun(torch.path, ranks: ranks, [script, peerConfig.jsonString(), theirs.path])
                peer.add(try Self.rankResults(theirs, ranks: ranks, peer: "PyTorch DDP"))
                meter.update(3 * round)
            }

            let tokensPerStep = Double(Self.batch * Self.time)
            var report = BenchReport(peers: ["PyTorch DDP": torch.versions["torch"]].compactMapValues { $0 })
            report["ddp_tokens_per_s"] = tokensPerStep / median(ddp.steps)
            report["pytorch_ddp_tokens_per_s"] = tokensPerStep / median(peer.steps)
            report["single_process_tokens_per_s"] = tokensPerStep / median(single.steps)
            report["ddp_peak_rss_mib"] = ddp.peakRSS / 1_048_576
            report["pytorch_ddp_peak_rss_mib"] = peer.peakRSS / 1_048_576
            report["single_process_peak_rss_mib"] = single.peakRSS / 1_048_576
            report["ddp_median_step_s"] = median(ddp.steps)
            report["pytorch_ddp_median_step_s"] = median(peer.steps)
            report["single_process_median_step_s"] = median(single.steps)
            report["ddp_rank0_cpu_s_per_step"] = median(ddp.cpu)
            report["pytorch_ddp_rank0_cpu_s_per_step"] = median(peer.cpu)
            report["ddp_vs_pytorch_ddp"] = median(peer.steps) / median(ddp.steps)
            report["ddp_vs_single_process"] = median(single.steps) / median(ddp.steps)
            report["ranks"] = Double(ranks)
            report["global_batch"] = Double(Self.batch)
            report["cores"] = Double(cores)
            report["steps"] = Double(steps)
            report["rounds"] = Double(rounds)

            let label = "\(ranks) ranks × 1 thread"
            report.compare("tokens/s, \(label) (median of \(steps * rounds) steps)", blocklab: report["ddp_tokens_per_s"],
                           peer: "PyTorch DDP", report["pytorch_ddp_tokens_per_s"], better: .higher, digits: 1)
            report.compare("median step (s), \(label)", blocklab: report["ddp_median_step_s"], peer: "PyTorch DDP",
                           report["pytorch_ddp_median_step_s"], better: .lower, digits: 4)
            report.compare("rank 0 CPU-seconds per step (median)", blocklab: report["ddp_rank0_cpu_s_per_step"], peer: "PyTorch DDP",
                           report["pytorch_ddp_rank0_cpu_s_per_step"], better: .lower, digits: 4)
            report.compare("peak RSS per rank (MiB, largest rank)", blocklab: report["ddp_peak_rss_mib"], peer: "PyTorch DDP",
                           report["pytorch_ddp_peak_rss_mib"], better: .lower, digits: 1)
            report.figure("tokens/s, 1 process × \(ranks) threads", blocklab: report["single_process_tokens_per_s"], digits: 1)
            report.figure("peak RSS, 1 process × \(ranks) threads (MiB)", blocklab: report["single_process_peak_rss_mib"], digits: 1)
            report.figure("\(ranks) ranks vs 1 process (tokens/s ratio)", blocklab: report["ddp_vs_single_process"], digits: 2)
            report.notes.append("global batch \(Self.batch) (\(Self.batch / ranks) per rank), \(cores) cores, \(rounds) round(s); "
                                + "ratio above 1 favours BlockLab")
            return report
        }
    }

    /// `python -m torch.distributed.run` (torchrun) with `ranks` local ranks on 127.0.0.1 and a
    /// free port, running `arguments`; its stderr (and the ranks') passed on.
    private func torchrun(_ python: String, ranks: Int, _ arguments: [String]) async throws -> String {
        // -r/-t as mappings: torch 1.13's torchrun cannot parse their plain defaults on Python 3.11.
        let mapping = (0..<ranks).map { "\($0):2" }.joined(separator: ",")
        return try await ChildProcess.output(python, ["-m", "torch.distributed.run", "--nproc_per_node", "\(ranks)",
                                                      "--master_addr", "127.0.0.1", "--master_port", "\(try freeLoopbackPort())",
                                                      "-r", mapping, "-t", mapping] + arguments,
                                             passStandardError: true)
    }

    /// Every rank's `rank-R.json` in `folder`, in rank order.
    private static func rankResults(_ folder: URL, ranks: Int, peer: String) throws -> [[String: JSONValue]] {
        try (0..<ranks).map { rank in
            let file = folder.appendingPathComponent("rank-\(rank).json")
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw BenchError("the \(peer) \(rank) wrote no result (\(file.path)); its errors are above")
            }
            return try PythonPeers.result(String(decoding: data, as: UTF8.self), peer: "\(peer) \(rank)")
        }
    }

    /// A BlockLab rank of the benchmark (`--worker rank`, its place from torchrun's
    /// environment): the real trainer, 1 thread, batch 8/N; rank 0 records the run in a store
    /// of its own. Writes `rank-R.json` into `--results`: rank 0's timed step times (wall and
    /// CPU), and every rank's peak RSS.
    func runRank(work: URL) throws {
        guard let results else { throw BenchError("--worker rank needs --results DIR") }
        let world = try World.fromEnvironment()
        var options = TrainOptions(dataDirectory: work.appendingPathComponent("data"), outputDirectory: work.appendingPathComponent("out-ranks"))
        options.configYAML = nil
        options.overrides = trainingOverrides(batch: Self.batch / world.size) + ["training.threads=1"]
        options.world = world
        options.runName = "bench-train-ranks"
        options.progress = { _ in }
        var result: [String: JSONValue] = [:]
        if world.ownsTheRun {
            let store = try ExperimentStore.open(at: work.appendingPathComponent("bench-ranks.db").path)
            let outcome = try Trainer.run(options, store: store)
            guard outcome.status == .finished else { throw BenchError("the benchmark run failed: \(outcome.error ?? "")") }
            let timed = { (seconds: [Int: Double]) in seconds.filter { $0.key > warmup }.sorted { $0.key < $1.key }.map { JSONValue.double($0.value) } }
            result["step_times"] = .array(timed(outcome.stepSeconds))
            result["step_cpu_times"] = .array(timed(outcome.stepCPUSeconds))
        } else {
            try Trainer.follow(options)
        }
        result["peak_rss_bytes"] = .double(Double(HardwareMonitor.peakRSS() ?? 0))
        let file = URL(fileURLWithPath: results).appendingPathComponent("rank-\(world.rank).json")
        try Data(JSONValue.object(result).jsonString().utf8).write(to: file)
    }

    /// One side's rank-0 step times (wall and CPU) and its largest peak RSS, pooled over rounds.
    struct RankSide {
        var steps: [Double] = []
        var cpu: [Double] = []
        var peakRSS = 0.0

        /// Adds one round: every rank's result, rank 0 first (only rank 0 times its steps).
        mutating func add(_ results: [[String: JSONValue]]) {
            func numbers(_ result: [String: JSONValue], _ key: String) -> [Double] {
                guard case .array(let values)? = result[key] else { return [] }
                return values.compactMap(\.number)
            }
            steps += numbers(results[0], "step_times")
            cpu += numbers(results[0], "step_cpu_times")
            peakRSS = max(peakRSS, results.compactMap { $0["peak_rss_bytes"]?.number }.max() ?? 0)
        }
    }
}
