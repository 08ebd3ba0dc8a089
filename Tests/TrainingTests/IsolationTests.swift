import Foundation
import TestSupport
import Testing
import Torch
@testable import Training
import TrainingPlan

extension LibtorchTests {
    /// A model's numbers come from its own seed and its thread's own thread count, never from
    /// libtorch's process-wide state, so runs side by side in one process (suites run in
    /// parallel) cannot change each other's losses.
    @Suite struct IsolationTests {
        static let initScript = #"""
        import json, sys, torch
        seed, rows, cols, std = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        torch.manual_seed(seed)
        print(json.dumps(torch.empty(rows, cols).normal_(0.0, std).reshape(-1).tolist()))
        """#

        /// The model's generator seeded with s draws what torch.manual_seed(s) draws: the token
        /// embedding (the first parameter drawn) is PyTorch's normal_(0, 0.02) after manual_seed,
        /// value for value.
        @Test(.tags(.slow)) func aSeedGivesTorchManualSeedsWeights() throws {
            let python = try trainPython()
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let script = dir.appendingPathComponent("init.py")
            try Self.initScript.write(to: script, atomically: true, encoding: .utf8)
            let config = GPTConfig(vocabSize: 40, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2)
            for seed in [0, 42] as [UInt64] {
                let model = try GPTModel(config: config, seed: seed)
                #expect(model.parameters[0].name == "transformer.wte.weight")
                let output = try runProcess(python, [script.path, "\(seed)", "40", "16", "0.02"])
                let theirs = try JSONDecoder().decode([Double].self, from: Data(output.utf8)).map(Float.init)
                #expect(try model.read(parameter: 0) == theirs, "seed \(seed)")
            }
            #expect(try GPTModel(config: config, seed: 1).read(parameter: 0) != GPTModel(config: config, seed: 2).read(parameter: 0))
        }

        /// A run's losses (with dropout) are the same alone and while another thread keeps
        /// making models (each drawing its initial weights) and training them with dropout,
        /// under other seeds and another thread count.
        @Test(.tags(.slow)) func aRunsLossesDependOnNothingElseInTheProcess() throws {
            let t = try TinyRun()
            defer { t.remove() }
            let alone = try t.train(["training.max_steps=6"], out: t.dir.appendingPathComponent("alone"))
            #expect(alone.losses.count == 6)

            let busy = BusyTrainer()
            busy.start()
            let during = busy.iterations
            let beside = try t.train(["training.max_steps=6"], out: t.dir.appendingPathComponent("beside"))
            let after = busy.iterations
            try busy.stop()
            #expect(after > during, "the other thread made no model while the run trained")
            #expect(beside.losses == alone.losses)
            #expect(busy.threadsSeen == [1], "the other thread's own count held: \(busy.threadsSeen)")
        }

        /// Each thread keeps the count it set, through libtorch's first parallel loops on it
        /// (whose lazy set-up must not reset it) and whatever another thread sets.
        @Test func eachThreadKeepsItsOwnThreadCount() throws {
            let seen = Locked<[Int: [Int]]>([:])
            let done = DispatchGroup()
            for count in [1, 3] {
                done.enter()
                Thread {
                    defer { done.leave() }
                    var counts: [Int] = []
                    do {
                        try Torch.setThreads(count)
                        counts.append(Torch.threads)
                        let model = try GPTModel(config: GPTConfig(vocabSize: 30, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2), seed: 1)
                        try model.setTraining(true)
                        let optimizer = try AdamW(model: model)
                        for _ in 0..<3 {
                            _ = try optimizer.step(tokens: Array(repeating: 1, count: 16), targets: Array(repeating: 2, count: 16),
                                                   microBatches: 1, batch: 2, time: 8, learningRate: 1e-3, maxGradNorm: 1)
                            counts.append(Torch.threads)
                        }
                    } catch {
                        counts.append(-1)
                    }
                    seen.update { $0[count] = counts }
                }.start()
            }
            try #require(done.wait(timeout: .now() + 600) == .success, "the model threads did not end within 10 minutes")
            #expect(seen.value == [1: [1, 1, 1, 1], 3: [3, 3, 3, 3]])
        }
    }
}

/// A thread that, until stopped, makes a small GPT-2 with a new seed and trains it a step
/// with dropout, on 1 libtorch thread.
private final class BusyTrainer: @unchecked Sendable {
    private let state = Locked((iterations: 0, stop: false, threads: Set<Int>(), error: String?.none))
    private let ended = DispatchSemaphore(value: 0)

    var iterations: Int { state.value.iterations }
    var threadsSeen: Set<Int> { state.value.threads }

    func start() {
        Thread { [self] in
            defer { ended.signal() }
            do {
                try Torch.setThreads(1)
                var seed: UInt64 = 100
                while !state.value.stop {
                    seed += 1
                    let model = try GPTModel(config: GPTConfig(vocabSize: 64, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 2), seed: seed)
                    try model.setTraining(true)
                    try model.setDropoutSeed(seed)
                    let optimizer = try AdamW(model: model)
                    _ = try optimizer.step(tokens: Array(repeating: 3, count: 32), targets: Array(repeating: 4, count: 32),
                                           microBatches: 1, batch: 2, time: 16, learningRate: 1e-3, maxGradNorm: 1)
                    let threads = Torch.threads
                    state.update { $0.iterations += 1; $0.threads.insert(threads) }
                }
            } catch {
                state.update { $0.error = "\(error)" }
            }
        }.start()
    }

    /// Stops the thread and waits for it (10 minutes at most: a guard against a hang).
    func stop() throws {
        state.update { $0.stop = true }
        guard ended.wait(timeout: .now() + 600) == .success else { throw TestFailure("the busy model thread did not stop within 10 minutes") }
        if let error = state.value.error { throw TestFailure("the busy model thread failed: \(error)") }
    }
}
