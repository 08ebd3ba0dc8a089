import Foundation
import TestSupport
import Testing

/// `blocklab train` as several processes (data-parallel ranks on libtorch's c10d with Gloo),
/// with real processes on 127.0.0.1 and free ports: the same training as one process with
/// the global batch, one run in the store, resume on another number of ranks, and every
/// failure a clear error rather than a hang.
@Suite(.serialized) struct DataParallelTests {
    /// The tiny model on the 32-token dataset of `TrainCommandTests.tokenize`, in `dir`.
    static func common(_ dir: TempDir, _ more: [String] = []) -> [String] {
        ["--data", dir.file("data"), "--store", dir.file("s.db"), "--set", "model.preset=tiny", "--set", "model.n_positions=32",
         "--set", "training.distributed.timeout_seconds=20"] + more.flatMap { ["--set", $0] }
    }

    /// How long a rank or launcher may take to reach what a test waits for (a guard against a
    /// hang: past it the processes are killed and the test fails with what they printed).
    static let rankDeadline: Duration = .seconds(300)

    /// A long run (it is stopped by the test), checkpointing every 5 steps.
    static let endless = ["training.max_steps=100000", "epoch_calculation.min_epochs=10000", "epoch_calculation.max_epochs=10000",
                          "training.batch_size=4", "training.checkpoint_every_steps=5"]

    static func query(_ dir: TempDir, _ sql: String) throws -> [[String]] {
        let result = try CLI.run(["sql", sql, "--store", dir.file("s.db"), "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return try parseCSV(result.stdout).dropFirst().map { $0 }
    }

    /// `key`'s value at each step of the run named `name`.
    static func history(_ dir: TempDir, run name: String, key: String) throws -> [Int: Double] {
        let rows = try query(dir, "SELECT step, value FROM metric_history WHERE run_id = (SELECT MAX(id) FROM runs WHERE name = '\(name)') AND key = '\(key)'")
        return Dictionary(uniqueKeysWithValues: rows.map { (Int($0[0])!, Double($0[1])!) })
    }

    /// `blocklab train --nproc-per-node 2` into `dir/out`, endless, once its checkpoint of
    /// `step` exists: the launcher, its output, and its workers by rank.
    static func launchEndless(_ dir: TempDir, out: String, until step: Int) throws -> (Process, OutputCollector, [Int: pid_t]) {
        let launcher = CLI.start(["train", "--out", dir.file(out), "--nproc-per-node", "2", "--master-port", "\(try Ranks.freePort())"]
                                 + common(dir, endless))
        try launcher.run()
        let output = OutputCollector(launcher)
        let checkpoint = dir.file(String(format: "\(out)/step-%06d", step))
        try output.waitFor("checkpoint \(step)", within: Self.rankDeadline) { _, _ in FileManager.default.fileExists(atPath: checkpoint) }
        return (launcher, output, Ranks.workers(of: launcher.processIdentifier))
    }

    /// `blocklab train ARGUMENTS` as rank `rank` of 2, as torchrun's environment describes it.
    static func startRank(_ rank: Int, port: Int, _ arguments: [String]) throws -> (Process, OutputCollector) {
        let process = CLI.start(["train"] + arguments,
                                environment: ["WORLD_SIZE": "2", "RANK": "\(rank)", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)"])
        try process.run()
        return (process, OutputCollector(process))
    }

    /// With dropout 0, 2 ranks × batch 4 give the losses (every step, every evaluation) and
    /// the final weights of 1 process × batch 8; the run is one run of world size 2 whose
    /// hardware samples come from both ranks, and only rank 0 prints the summary.
    @Test func twoRanksOfBatchFourTrainAsOneProcessOfBatchEight() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let settings = ["model.dropout=0", "training.max_steps=20", "training.eval_every_steps=5", "training.base_learning_rate=3e-3",
                        "training.warmup_steps_min=2", "hardware_monitoring.interval_seconds=0.2"]
        let one = try CLI.run(["train", "--out", dir.file("one"), "--name", "one"] + Self.common(dir, settings + ["training.batch_size=8"]))
        #expect(one.status == 0, "\(one.stderr)")
        let two = try CLI.run(["train", "--out", dir.file("two"), "--name", "two", "--nproc-per-node", "2", "--master-port", "\(try Ranks.freePort())",
                               "--format", "json"] + Self.common(dir, settings + ["training.batch_size=4"]))
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("batch 4 × 1 on each of 2 ranks (global batch 8)"))
        let summary = try #require(try CLI.json(two.stdout) as? [String: Any], "one JSON summary, rank 0's: \(two.stdout)")
        #expect(summary["status"] as? String == "finished" && summary["steps"] as? Int == 20)

        for key in ["train/loss", "val/loss"] {
            let a = try Self.history(dir, run: "one", key: key), b = try Self.history(dir, run: "two", key: key)
            #expect(a.count == (key == "train/loss" ? 20 : b.count) && Set(a.keys) == Set(b.keys), "\(key): \(a.keys.sorted()) \(b.keys.sorted())")
            let worst = a.map { abs($0.value - (b[$0.key] ?? .infinity)) }.max() ?? .infinity
            #expect(worst <= 1e-5, "\(key) differs by \(worst)")
        }
        let weights = try Ranks.maxDifference(dir.file("one/last/model.safetensors"), dir.file("two/last/model.safetensors"))
        #expect(weights <= 1e-5, "weights differ by \(weights)")

        #expect(try Self.query(dir, "SELECT name, world_size FROM runs ORDER BY id") == [["one", "1"], ["two", "2"]])
        let params = try Self.query(dir, "SELECT key, value FROM params WHERE run_id = 2 AND key LIKE 'training.distributed.%' ORDER BY key")
        #expect(params.first { $0[0] == "training.distributed.world_size" }?[1] == "2")
        #expect(params.first { $0[0] == "training.distributed.rank_threads" }?[1] == "[1,1]")
        let ranks = try Self.query(dir, "SELECT rank, host, COUNT(*) FROM hardware_samples WHERE run_id = 2 GROUP BY rank, host ORDER BY rank")
        #expect(ranks.map { $0[0] } == ["0", "1"], "\(ranks)")
        #expect(ranks.allSatisfy { $0[1] == Ranks.hostName && Int($0[2])! >= 1 }, "\(ranks)")
        let shown = try #require(try CLI.json(try CLI.run(["show", "two", "--store", dir.file("s.db"), "--format", "json"]).stdout) as? [String: Any])
        let byRank = try #require(shown["hardware_peaks_by_rank"] as? [[String: Any]])
        #expect(byRank.map { $0["rank"] as? Int } == [0, 1])
        #expect(byRank.allSatisfy { (($0["peaks"] as? [String: Any])?["process_rss_bytes"] as? Int ?? 0) > 0 })
        let table = try CLI.run(["show", "two", "--store", dir.file("s.db")]).stdout
        #expect(table.contains("rank 0 on ") && table.contains("rank 1 on ") && table.contains("(rank 0 of 2 processes)"))
        let listed = try CLI.run(["runs", "--store", dir.file("s.db")]).stdout
        #expect(listed.contains("ranks"))
    }

    /// A run of 2 ranks resumes on 2 ranks and then on 1 process, with the losses of the
    /// same chain run by 1 process throughout (the global batch stays 8).
    @Test func resumesOnTheSameAndOnAnotherNumberOfRanks() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let settings = ["model.dropout=0", "training.base_learning_rate=3e-3", "training.warmup_steps_min=2"]
        func train(_ name: String, ranks: Int, steps: Int, resume: Bool) throws {
            var arguments = ["train", "--out", dir.file(name), "--name", name] + Self.common(dir, settings + ["training.max_steps=\(steps)"])
            arguments += ranks > 1 ? ["--nproc-per-node", "\(ranks)", "--master-port", "\(try Ranks.freePort())"] : []
            // Each resume continues the newest run: after one resume two runs share the name, which
            // is an ambiguous reference.
            arguments += resume ? ["--resume", "latest"] : ["--set", "training.batch_size=\(8 / ranks)"]
            let result = try CLI.run(arguments)
            #expect(result.status == 0, "\(name) × \(ranks) to step \(steps): \(result.stderr)")
        }
        try train("alone", ranks: 1, steps: 4, resume: false)
        try train("alone", ranks: 1, steps: 8, resume: true)
        try train("alone", ranks: 1, steps: 12, resume: true)
        try train("ranks", ranks: 2, steps: 4, resume: false)
        try train("ranks", ranks: 2, steps: 8, resume: true)
        try train("ranks", ranks: 1, steps: 12, resume: true)

        let chains = try Self.query(dir, "SELECT name, world_size, parent_run_id IS NOT NULL, status FROM runs ORDER BY id")
        #expect(chains.map { $0[1] } == ["1", "1", "1", "2", "2", "1"] && chains.allSatisfy { $0[3] == "finished" }, "\(chains)")
        let rows = try Self.query(dir, """
            SELECT r.name, m.step, m.value FROM metric_history m JOIN runs r ON r.id = m.run_id WHERE m.key = 'train/loss' ORDER BY m.step
            """)
        var losses: [String: [Int: Double]] = [:]
        for row in rows { losses[row[0], default: [:]][Int(row[1])!] = Double(row[2])! }
        #expect(losses["alone"]?.keys.sorted() == Array(1...12) && losses["ranks"]?.keys.sorted() == Array(1...12))
        let worst = (1...12).map { abs((losses["alone"]?[$0] ?? 0) - (losses["ranks"]?[$0] ?? .infinity)) }.max()!
        #expect(worst <= 1e-5, "losses differ by \(worst)")
        let weights = try Ranks.maxDifference(dir.file("alone/last/model.safetensors"), dir.file("ranks/last/model.safetensors"))
        #expect(weights <= 1e-5, "weights differ by \(weights)")

        // 3 ranks cannot share a global batch of 8: a clear error, before any step.
        let three = try CLI.run(["train", "--out", dir.file("ranks"), "--resume", "latest", "--nproc-per-node", "3",
                                 "--master-port", "\(try Ranks.freePort())"] + Self.common(dir, ["training.max_steps=16"]))
        #expect(three.status != 0)
        #expect(three.stderr.contains("which 3 ranks cannot share evenly: resume on 1, 2, 4, 8 ranks"), "\(three.stderr)")
    }

    /// torchrun (Debian's python3-torch) starts the ranks itself and serves their store; blocklab
    /// trains under it unchanged, as one run of world size 2.
    @Test func torchrunLaunchesBlockLabUnchanged() throws {
        guard let torchrun = ProcessInfo.processInfo.environment["BLOCKLAB_TORCHRUN"], !torchrun.isEmpty else {
            Issue.record("BLOCKLAB_TORCHRUN is unset: run `eval \"$(scripts/setup/training.sh)\"` first")
            return
        }
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        // `-r/-t` as mappings: torch 1.13's torchrun cannot parse their plain defaults on Python 3.11.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: torchrun)
        process.arguments = ["--nproc_per_node", "2", "--master_port", "\(try Ranks.freePort())", "-r", "0:2,1:2", "-t", "0:2,1:2",
                             "--no_python", CLI.binary, "train", "--out", dir.file("model")]
            + Self.common(dir, ["training.max_steps=6", "training.batch_size=4"])
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        let output = OutputCollector(process)
        let (_, stderr) = try output.finish(within: Self.rankDeadline)
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(try Self.query(dir, "SELECT status, world_size FROM runs") == [["finished", "2"]])
        #expect(try Self.query(dir, "SELECT COUNT(DISTINCT step) FROM metric_history WHERE key = 'train/loss'") == [["6"]])
    }

    /// SIGKILL to rank 1: rank 0 fails the run naming rank 1, nothing hangs, the store is
    /// intact, and the newest checkpoint resumes.
    @Test func aKilledWorkerFailsTheRunNamingTheRankAndTheRunResumes() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let (launcher, output, workers) = try Self.launchEndless(dir, out: "model", until: 10)
        let rank1 = try #require(workers[1], "the launcher's workers: \(workers)")
        kill(rank1, SIGKILL)
        let (_, stderr) = try output.finish(within: Self.rankDeadline)   // the launcher and rank 0 end by themselves
        #expect(launcher.terminationStatus == 1)
        #expect(stderr.contains("blocklab train: rank 1 was killed by signal 9"))
        let run = try Self.query(dir, "SELECT status, error FROM runs")
        #expect(run.count == 1 && run[0][0] == "failed", "\(run)")
        #expect(run.first?[1].hasPrefix("lost rank 1 at step ") == true, "\(run)")
        #expect(run.first?[1].contains("continue with --resume") == true)
        #expect(workers.values.allSatisfy(Ranks.isGone))
        #expect(try Self.query(dir, "SELECT COUNT(*) FROM runs") == [["1"]])   // readable: the store is intact

        let newest = Int(try Self.query(dir, "SELECT MAX(step) FROM checkpoints")[0][0])!
        let resumed = try CLI.run(["train", "--out", dir.file("model"), "--resume", "latest", "--nproc-per-node", "2",
                                   "--master-port", "\(try Ranks.freePort())"] + Self.common(dir, ["training.max_steps=\(newest + 2)"]))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at step \(newest)"))
        #expect(try Self.query(dir, "SELECT id, parent_run_id, status, world_size FROM runs WHERE id = 2") == [["2", "1", "finished", "2"]])
    }

    /// SIGKILL to rank 0: the run reads `crashed`; the launcher stops rank 1; and a rank 1
    /// started alone (no launcher to stop it) finds rank 0 lost by itself and says so.
    @Test func aKilledRankZeroLeavesACrashedRun() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let (launcher, output, workers) = try Self.launchEndless(dir, out: "a", until: 5)
        kill(try #require(workers[0]), SIGKILL)
        try output.finish(within: Self.rankDeadline)
        #expect(launcher.terminationStatus == 128 + SIGKILL)
        #expect(workers.values.allSatisfy(Ranks.isGone))
        let listed = try CLI.run(["runs", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(try parseCSV(listed.stdout)[1][3] == "crashed", "\(listed.stdout)")

        // Without a launcher: ranks started as torchrun's environment describes them.
        let port = try Ranks.freePort()
        let (zero, zeroOutput) = try Self.startRank(0, port: port, ["--out", dir.file("b")] + Self.common(dir, Self.endless))
        let (one, oneOutput) = try Self.startRank(1, port: port, ["--out", dir.file("b")] + Self.common(dir, Self.endless))
        try zeroOutput.waitFor("checkpoint 5", within: Self.rankDeadline) { _, _ in FileManager.default.fileExists(atPath: dir.file("b/step-000005")) }
        kill(zero.processIdentifier, SIGKILL)
        try zeroOutput.finish(within: Self.rankDeadline)
        let (_, said) = try oneOutput.finish(within: Self.rankDeadline)   // rank 1 ends by itself
        #expect(one.terminationStatus == 1)
        #expect(said.contains("error (rank 1): rank 0 (which serves the process group and owns the run) was lost at step "), "\(said)")
    }

    /// SIGINT sent to the launcher reaches every worker: rank 0 records the run `killed`,
    /// every worker ends, and the launcher exits 130.
    @Test func sigintToTheLauncherStopsEveryWorkerAndMarksTheRunKilled() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let (launcher, output, workers) = try Self.launchEndless(dir, out: "model", until: 5)
        #expect(workers.count == 2)
        kill(launcher.processIdentifier, SIGINT)
        try output.finish(within: Self.rankDeadline)
        #expect(launcher.terminationStatus == 130)
        #expect(workers.values.allSatisfy(Ranks.isGone), "\(workers)")
        #expect(try Self.query(dir, "SELECT status, error FROM runs") == [["killed", "stopped by SIGINT"]])
    }

    /// The master port taken by another process: rank 0 says so and records a failed run,
    /// and the launcher stops the other rank instead of letting it wait.
    @Test func aMasterPortInUseIsAClearError() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let port = try Ranks.freePort()
        let holder = try Ranks.listen(on: port)
        defer { close(holder) }
        let result = try CLI.run(["train", "--out", dir.file("model"), "--nproc-per-node", "2", "--master-port", "\(port)"]
                                 + Self.common(dir, ["training.max_steps=5"]))
        #expect(result.status == 1)
        let message = "port \(port) is taken on this machine, so rank 0 cannot serve the process group there: pick a free port with --master-port (or MASTER_PORT) on every node"
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try Self.query(dir, "SELECT status, error, world_size FROM runs") == [["failed", message, "2"]])
    }

    /// A rank whose master does not answer gives up after the timeout with the address, and
    /// creates no store (only rank 0 writes one).
    @Test func anUnreachableMasterIsAClearError() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let port = try Ranks.freePort()
        let (process, output) = try Self.startRank(1, port: port, ["--out", dir.file("model")] + Self.common(dir, ["training.distributed.timeout_seconds=3"]))
        let stderr = try output.finish(within: Self.rankDeadline).1
        let result = (status: process.terminationStatus, stderr: stderr)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error (rank 1): could not join the process group: could not reach the master at 127.0.0.1:\(port) within 3 s. Check --master-addr and --master-port"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("s.db")))
    }

    /// Ranks started with different configs stop before training, each naming the keys that
    /// differ; rank 0 records the run failed with the same words.
    @Test func mismatchedConfigsBetweenRanksAreAClearError() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let port = try Ranks.freePort()
        func rank(_ r: Int, _ rate: String) throws -> (Process, OutputCollector) {
            try Self.startRank(r, port: port, ["--out", dir.file("model")] + Self.common(dir, ["training.max_steps=5", "training.base_learning_rate=\(rate)"]))
        }
        let zero = try rank(0, "1e-3"), one = try rank(1, "2e-3")
        let (_, zeroSaid) = try zero.1.finish(within: Self.rankDeadline), (_, oneSaid) = try one.1.finish(within: Self.rankDeadline)
        #expect(zero.0.terminationStatus == 1 && one.0.terminationStatus == 1)
        let message = try #require(try Self.query(dir, "SELECT status, error FROM runs").first)
        #expect(message[0] == "failed")
        #expect(message[1].hasPrefix("rank 1 on ") && message[1].hasSuffix(" was started with another config than rank 0: training.base_learning_rate is 0.002 there and 0.001 on rank 0. Start every rank with the same config file and --set flags"), "\(message)")
        #expect(zeroSaid.contains(message[1]) && oneSaid.contains("error (rank 1): " + message[1]), "\(zeroSaid)\n\(oneSaid)")
    }
}
