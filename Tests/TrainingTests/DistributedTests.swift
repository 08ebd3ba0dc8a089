import Foundation
import TestSupport
import Testing
import Torch
@testable import Training

/// The pieces of data-parallel training that need no second process: the world from the
/// environment, the rule that shares a batch among ranks, the plan over ranks, the config
/// keys, and the process group's collectives between two ranks on two threads.
@Suite struct DistributedTests {
    @Test func theWorldComesFromTorchrunsVariables() throws {
        #expect(try World.fromEnvironment([:]) == .single)
        let world = try World.fromEnvironment(["WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2",
                                               "MASTER_ADDR": "10.0.0.5", "MASTER_PORT": "29600"])
        #expect(world == World(rank: 3, size: 4, localRank: 1, localSize: 2, masterAddress: "10.0.0.5", masterPort: 29600))
        #expect(!world.ownsTheRun)
        // LOCAL_* default to one machine; the master to 127.0.0.1:29500.
        #expect(try World.fromEnvironment(["WORLD_SIZE": "2", "RANK": "0"])
                == World(rank: 0, size: 2, localRank: 0, localSize: 2, masterAddress: "127.0.0.1", masterPort: 29500))
        #expect(throws: TrainingError.badConfig("WORLD_SIZE is set but RANK is not: a torchrun-style launcher sets WORLD_SIZE, RANK, MASTER_ADDR and MASTER_PORT together")) {
            try World.fromEnvironment(["WORLD_SIZE": "2"])
        }
        #expect(throws: TrainingError.badConfig("RANK 2 is not below WORLD_SIZE 2: ranks count 0 to WORLD_SIZE - 1")) {
            try World.fromEnvironment(["WORLD_SIZE": "2", "RANK": "2"])
        }
        #expect(throws: TrainingError.badConfig("MASTER_PORT=http is not a whole number")) {
            try World.fromEnvironment(["WORLD_SIZE": "2", "RANK": "1", "MASTER_PORT": "http"])
        }
    }

    /// Run k of B goes to rank k mod N: each micro-batch of N × B is split in N runs of B, the
    /// ranks' shares are disjoint and together the whole batch.
    @Test func ranksShareABatchInRunsOfTheirBatchSize() {
        func world(_ rank: Int, of size: Int) -> World {
            World(rank: rank, size: size, localRank: rank, localSize: size, masterAddress: "127.0.0.1", masterPort: 29500)
        }
        let global = Array(100..<116)   // 2 micro-batches of 2 ranks × 4
        #expect(world(0, of: 2).share(of: global, runLength: 4) == [100, 101, 102, 103, 108, 109, 110, 111])
        #expect(world(1, of: 2).share(of: global, runLength: 4) == [104, 105, 106, 107, 112, 113, 114, 115])
        #expect(World.single.share(of: global, runLength: 4) == global)
        // A last evaluation batch shorter than N × B: the later ranks may get less or nothing.
        #expect(world(0, of: 3).share(of: 0..<7, runLength: 2) == [0, 1, 6])
        #expect(world(2, of: 3).share(of: 0..<7, runLength: 2) == [4, 5])
        let all = (0..<3).flatMap { world($0, of: 3).share(of: 0..<7, runLength: 2) }
        #expect(all.sorted() == Array(0..<7))
    }

    /// 2 ranks × batch 4 plan what 1 process × batch 8 plans: steps per epoch, warmup, the
    /// scaled learning rate and the evaluation batches; resuming divides the global batch
    /// among the new ranks or says which numbers of ranks can.
    @Test func thePlanCountsTheGlobalBatch() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeDataset(dir, trainSequences: 40, valSequences: 20, sequenceLength: 16, vocabSize: 64)
        let data = try TrainingData(directory: dir)
        let base = ["model.preset=tiny", "model.n_positions=16", "training.base_learning_rate=1e-3", "training.reference_batch_size=4",
                    "epoch_calculation.target_tokens=1", "training.warmup_steps_min=1"]
        let two = World(rank: 1, size: 2, localRank: 1, localSize: 2, masterAddress: "127.0.0.1", masterPort: 29500)
        let c4 = try TrainingConfig.load(yaml: nil, overrides: base + ["training.batch_size=4"])
        let c8 = try TrainingConfig.load(yaml: nil, overrides: base + ["training.batch_size=8"])
        let ranks = TrainingRunPlan(config: c4, data: data, model: c4.gptConfig(vocabSize: 64), device: .cpu, world: two)
        let alone = TrainingRunPlan(config: c8, data: data, model: c8.gptConfig(vocabSize: 64), device: .cpu)
        #expect(ranks.batchSize == 4 && ranks.worldSize == 2 && ranks.globalBatchSize == 8)
        #expect(ranks.stepsPerEpoch == 5 && ranks.stepsPerEpoch == alone.stepsPerEpoch)
        #expect(ranks.totalSteps == alone.totalSteps && ranks.warmupSteps == alone.warmupSteps)
        #expect(ranks.peakLearningRate == 2e-3 && ranks.peakLearningRate == alone.peakLearningRate)
        #expect(ranks.evaluationBatches == 3 && ranks.evaluationBatches == alone.evaluationBatches)   // 20 in batches of 8

        var state = TrainingState(plan: ranks, training: c4.training, report: TrainingReport(c4.training))
        state.step = 3
        let resumedAlone = try TrainingRunPlan(resuming: state, config: c4, data: data)
        #expect(resumedAlone.batchSize == 8 && resumedAlone.globalBatchSize == 8)
        let four = World(rank: 0, size: 4, localRank: 0, localSize: 4, masterAddress: "127.0.0.1", masterPort: 29500)
        #expect(try TrainingRunPlan(resuming: state, config: c4, data: data, world: four).batchSize == 2)
        let three = World(rank: 0, size: 3, localRank: 0, localSize: 3, masterAddress: "127.0.0.1", masterPort: 29500)
        #expect(throws: TrainingError.badCheckpoint("the checkpoint's run took 8 sequences per micro-batch (2 ranks × batch 4), which 3 ranks cannot share evenly: resume on 1, 2, 4, 8 ranks")) {
            try TrainingRunPlan(resuming: state, config: c4, data: data, world: three)
        }
    }

    @Test func theDistributedKeysAreReadAndChecked() throws {
        let yaml = "training:\n  distributed:\n    backend: gloo\n    timeout_seconds: 5\n    bucket_size_mb: 1\n    rank_threads: [1, 2]\n"
        let c = try TrainingConfig.load(yaml: yaml, overrides: ["training.distributed.world_size=2"])
        #expect(c.training.distributed == .init(backend: "gloo", timeoutSeconds: 5, bucketSizeMb: 1, worldSize: 2, rankThreads: [1, 2]))
        #expect(try TrainingConfig.load(yaml: nil, overrides: ["training.distributed.rank_threads=[3,1]"]).training.distributed.rankThreads == [3, 1])
        #expect(try TrainingConfig.load(yaml: nil, overrides: ["training.distributed.rank_threads=auto"]).training.distributed.rankThreads == nil)
        #expect(throws: TrainingError.badConfig("training.distributed.backend nccl needs CUDA GPUs and a libtorch built with NCCL; this libtorch (Debian's, CPU-only) has neither: use gloo")) {
            try TrainingConfig.load(yaml: nil, overrides: ["training.distributed.backend=nccl"])
        }
        #expect(throws: TrainingError.badConfig("training.distributed.backend: mpi is not one of gloo, nccl")) {
            try TrainingConfig.load(yaml: nil, overrides: ["training.distributed.backend=mpi"])
        }
        #expect(throws: TrainingError.badConfig("training.distributed.rank_threads: expected a list of integers such as [1, 1], or auto; got \"many\"")) {
            try TrainingConfig.load(yaml: nil, overrides: ["training.distributed.rank_threads=many"])
        }
        // The launch decides the world; a config that names another is refused by the rank.
        let two = World(rank: 1, size: 2, localRank: 1, localSize: 2, masterAddress: "127.0.0.1", masterPort: 29500)
        #expect(try Trainer.threadCount(c, world: two) == 2)
        #expect(throws: TrainingError.badConfig("training.distributed.world_size is 2 but 1 rank(s) were launched (WORLD_SIZE, or --nnodes × --nproc-per-node): launch 2 or set it to auto")) {
            try Trainer.threadCount(c, world: .single)
        }
        // Unset: the cores divided among this machine's ranks.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(try Trainer.threadCount(TrainingConfig(), world: two) == max(1, cores / 2))
    }

    /// Two ranks on two threads of this process, over a real TCPStore and Gloo on 127.0.0.1:
    /// sums, gathers of different lengths, and rank 0's parameters broadcast to rank 1.
    @Test func twoRanksSumGatherAndBroadcast() throws {
        try Torch.load()
        let port = try freePort()
        let config = GPTConfig(vocabSize: 32, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2)
        let results = Results()
        let threads = (0..<2).map { rank in
            Thread {
                do {
                    let group = try ProcessGroup(masterAddress: "127.0.0.1", masterPort: port, rank: rank, worldSize: 2, timeout: 20)
                    let sum = try group.sum([Double(rank + 1), 10 * Double(rank + 1)])
                    let gathered = try group.gather(Array(repeating: UInt8(rank + 65), count: rank + 1))
                    // Different initial weights on each rank, each from its model's own seed.
                    let model = try GPTModel(config: config, seed: UInt64(rank + 1))
                    let initial = try model.read(parameter: 0)
                    if rank == 0 { results.rankZeroInitial = initial }
                    try group.broadcast(parameters: model, from: 0)
                    results.set(rank, (sum, gathered, try model.read(parameter: 0)))
                } catch {
                    results.fail("rank \(rank): \(error)")
                }
            }
        }
        threads.forEach { $0.start() }
        try #require(results.wait(for: 2, within: .seconds(300)), "the ranks did not both report within 5 minutes: \(results.errors)")
        #expect(results.errors.isEmpty, "\(results.errors)")
        let zero = try #require(results.value(0)), one = try #require(results.value(1))
        #expect(zero.sum == [3, 30] && one.sum == [3, 30])
        #expect(zero.gathered == [[65], [66, 66]] && one.gathered == zero.gathered)
        let rankZeroWeights = try #require(results.rankZeroInitial)
        #expect(try GPTModel(config: config, seed: 2).read(parameter: 0) != rankZeroWeights)   // rank 1 started elsewhere
        #expect(zero.weights == rankZeroWeights && one.weights == rankZeroWeights)
    }

    /// A port nothing listens on now.
    func freePort() throws -> Int { try freeLoopbackPort() }
}

/// What the two rank threads hand back.
private final class Results: @unchecked Sendable {
    typealias Value = (sum: [Double], gathered: [[UInt8]], weights: [Float])
    private let lock = NSCondition()
    private var values: [Int: Value] = [:]
    private(set) var errors: [String] = []

    func set(_ rank: Int, _ value: Value) { lock.withLock { values[rank] = value; lock.broadcast() } }
    func fail(_ message: String) { lock.withLock { errors.append(message); lock.broadcast() } }
    func value(_ rank: Int) -> Value? { lock.withLock { values[rank] } }
    /// Rank 0's parameter 0 before the broadcast.
    var rankZeroInitial: [Float]? {
        get { lock.withLock { initial } }
        set { lock.withLock { initial = newValue } }
    }
    private var initial: [Float]?

    /// Waits until `count` ranks reported (values or errors), or the deadline passes (a guard
    /// against a hang: the group's own timeout should end a lost rank first); whether they all did.
    func wait(for count: Int, within deadline: Duration) -> Bool {
        let end = Date().addingTimeInterval(Double(deadline.components.seconds))
        lock.lock()
        defer { lock.unlock() }
        while values.count + errors.count < count {
            if !lock.wait(until: end) { return values.count + errors.count >= count }
        }
        return true
    }
}
