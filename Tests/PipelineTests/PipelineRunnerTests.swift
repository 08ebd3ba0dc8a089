import ExperimentStore
import Foundation
import TestSupport
import Pipeline
import Testing
import Torch
import Training

/// The pipeline in-process, on a repository made by git in the test, a real store and
/// libtorch training: every phase recorded, reuse, failures.
@Suite(.serialized) struct PipelineRunnerTests {
    struct Fixture {
        let scratch: TempDir
        let repo: String
        let store: ExperimentStore

        init() throws {
            try Torch.load()
            scratch = TempDir()
            repo = scratch.file("repo")
            try makeRepository(at: repo, commits: 40)
            store = try ExperimentStore.open(at: scratch.file("s.db"))
        }

        func run(_ extra: [String] = [], repository: String? = nil, name: String = "p") throws -> PipelineResult {
            let config = try PipelineConfig.load(yaml: repositoryConfig, profile: "quick", overrides: testOverrides + extra)
            let request = PipelineRequest(repository: repository ?? repo, config: config, yaml: repositoryConfig,
                                          outDirectory: scratch.file("out-\(name)"))
            return try PipelineRunner(request, store: store).run()
        }

        func manifest(_ result: PipelineResult) throws -> [String: Any] {
            let url = try #require(result.manifest)
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        }
    }

    @Test func everyPhaseIsRecordedWithItsInputsAndOutputs() throws {
        let f = try Fixture()
        let result = try f.run()
        #expect(result.status == .finished, "\(result.error ?? "")")
        #expect(result.phases.map(\.name) == ["analyse", "scrape", "tokenize", "train"])
        #expect(result.phases.allSatisfy { $0.outcome == "ran" })

        let phases = try f.store.phases(runID: result.runID)
        #expect(phases.map(\.name) == ["analyse", "scrape", "tokenize", "train"])
        #expect(phases.allSatisfy { $0.status == .finished && $0.endedAt != nil && $0.stats["input_sha256"] != nil })
        // The stats each phase recorded before keep their keys.
        #expect(phases[0].stats["unique_commits"] == .int(40))
        #expect(phases[1].stats["commits"] == .int(40))
        #expect(phases[2].stats["vocab_size"] != nil && phases[2].stats["train_sequences"] != nil)
        #expect(phases[3].stats["steps"] == .int(4))

        // Every output file is an artifact of the run, with the sha256 of what is on disk.
        let artifacts = try f.store.artifacts(runID: result.runID)
        for name in ["commits.jsonl", "files.jsonl", "train.bin", "val.bin", "dataset.json", "tokenizer/tokenizer.json", "training_report.json"] {
            let artifact = try #require(artifacts.first { $0.name == name }, "\(name)")
            #expect(try ExperimentStore.sha256(ofPath: artifact.path).hex == artifact.sha256)
        }
        #expect(try f.store.checkpoints(runID: result.runID).count >= 1)
        #expect(try f.store.metricSummaries(runID: result.runID).contains { $0.key == "train/loss" && $0.count == 4 })

        // The run's snapshot is the resolved config: no auto left where it was made concrete.
        let snapshot = try #require(try f.store.configSnapshot(runID: result.runID))
        let resolved = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.resolvedJSON.utf8)) as? [String: Any])
        let training = try #require(resolved["training"] as? [String: Any])
        #expect(training["device"] as? String == "cpu" && training["batch_size"] as? Int == 2 && training["max_steps"] as? Int == 4)
        #expect((resolved["tokenizer"] as? [String: Any])?["threads"] is Int)

        // The manifest is in the run's folder, with the report beside it.
        let manifest = try f.manifest(result)
        #expect((manifest["run"] as? [String: Any])?["status"] as? String == "finished")
        #expect(FileManager.default.fileExists(atPath: result.runDirectory.appendingPathComponent("training_report.json").path))
        #expect(FileManager.default.fileExists(atPath: try #require(result.modelDirectory).appendingPathComponent("best/model.safetensors").path))
    }

    @Test func unchangedInputsReuseOutputsAndATrainingKeyRetrainsOnly() throws {
        let f = try Fixture()
        let first = try f.run(name: "a")
        #expect(first.status == .finished, "\(first.error ?? "")")
        let second = try f.run(name: "b")
        #expect(second.status == .finished, "\(second.error ?? "")")
        #expect(second.phases.map(\.outcome) == ["ran", "reused", "reused", "reused"], "analyse always runs (it is the walk itself)")
        #expect(second.phases.dropFirst().allSatisfy { $0.reusedFromRun == first.runID })
        let reused = try f.store.phases(runID: second.runID)
        #expect(reused[3].stats["reused_from_run"] == .int(first.runID) && reused[3].stats["steps"] == .int(4))
        #expect(try f.store.metricSummaries(runID: second.runID).isEmpty, "nothing was trained again")
        // The reused files are the second run's artifacts too.
        #expect(Set(try f.store.artifacts(runID: second.runID).map(\.sha256)).isSuperset(of: Set(try f.store.artifacts(runID: first.runID)
            .filter { $0.kind == "dataset" }.map(\.sha256))))

        let third = try f.run(["training.max_steps=6"], name: "c")
        #expect(third.status == .finished, "\(third.error ?? "")")
        #expect(third.phases.map(\.outcome) == ["ran", "reused", "reused", "ran"])
        #expect(try f.store.phases(runID: third.runID)[3].stats["steps"] == .int(6))

        // A changed output file is not reused: the dataset is rebuilt.
        let trainBin = first.runDirectory.appendingPathComponent("dataset/train.bin")
        var bytes = try Data(contentsOf: trainBin)
        bytes[bytes.count - 1] ^= 0xff
        try bytes.write(to: trainBin)
        let fourth = try f.run(name: "d")
        #expect(fourth.phases.map(\.outcome) == ["ran", "reused", "ran", "ran"], "\(fourth.phases)")
    }

    @Test func anUnreadableRepositoryFailsTheRunAndTheManifestSaysWhy() throws {
        let f = try Fixture()
        let missing = f.scratch.file("no-such-repo")
        let result = try f.run(repository: missing)
        #expect(result.status == .failed)
        #expect(result.error?.contains("no-such-repo") == true, "\(result.error ?? "")")
        let phases = try f.store.phases(runID: result.runID)
        #expect(phases.map(\.name) == ["analyse"] && phases[0].status == .failed && phases[0].error == result.error)
        let manifest = try f.manifest(result)
        #expect((manifest["run"] as? [String: Any])?["status"] as? String == "failed")
        #expect((manifest["run"] as? [String: Any])?["error"] as? String == result.error)
        let recorded = try #require((manifest["phases"] as? [[String: Any]])?.first)
        #expect(recorded["status"] as? String == "failed" && recorded["error"] as? String == result.error)
    }

    /// A config error only the trainer can find (this libtorch has no CUDA): the phases
    /// before it finish, train fails with the error, the run fails, the manifest says why.
    @Test func aConfigErrorFoundLateFailsThatPhase() throws {
        let f = try Fixture()
        let result = try f.run(["training.device=cuda"])
        #expect(result.status == .failed)
        #expect(result.error?.contains("device cuda") == true, "\(result.error ?? "")")
        let phases = try f.store.phases(runID: result.runID)
        #expect(phases.map(\.status) == [.finished, .finished, .finished, .failed])
        let manifest = try f.manifest(result)
        let train = try #require((manifest["phases"] as? [[String: Any]])?.last)
        #expect(train["name"] as? String == "train" && (train["error"] as? String)?.contains("device cuda") == true)
    }

    /// A phase left out of --phases is reused when an earlier run has it, and is an error otherwise.
    @Test func aPhaseLeftOutMustBeReusable() throws {
        let f = try Fixture()
        let alone = try f.run(["pipeline.phases=train"], name: "alone")
        #expect(alone.status == .failed)
        #expect(alone.error == "scrape is not among the phases to run and no earlier run has its outputs for these inputs: add scrape to --phases")
        _ = try f.run(name: "full")
        let trainOnly = try f.run(["pipeline.phases=train", "training.max_steps=5"], name: "train-only")
        #expect(trainOnly.status == .finished, "\(trainOnly.error ?? "")")
        #expect(trainOnly.phases.map { "\($0.name):\($0.outcome)" } == ["scrape:reused", "tokenize:reused", "train:ran"])
    }

    /// A reused training carries the earlier run's checkpoints: the new run records the same
    /// files (steps, sha256, best flags), its manifest lists them, and nothing is trained.
    /// A checkpoint deleted from disk is not carried; one changed on disk makes the next run
    /// train again.
    @Test func aReusedTrainingCarriesItsCheckpoints() throws {
        let f = try Fixture()
        let everyStep = ["training.checkpoint_every_steps=1"]
        let first = try f.run(everyStep, name: "a")
        #expect(first.status == .finished, "\(first.error ?? "")")
        let second = try f.run(everyStep, name: "b")
        #expect(second.status == .finished, "\(second.error ?? "")")
        #expect(second.phases.last.map { "\($0.name):\($0.outcome)" } == "train:reused")

        func rows(_ runID: Int64) throws -> [String] {
            try f.store.checkpoints(runID: runID).map { "\($0.step) \($0.path) \($0.sha256) \($0.isBest) \($0.epoch ?? -1)" }
        }
        let earlier = try f.store.checkpoints(runID: first.runID)
        #expect(earlier.count >= 4, "steps 1-4 each checkpointed")
        #expect(try rows(second.runID) == (try rows(first.runID)))
        #expect(try f.store.metricSummaries(runID: second.runID).isEmpty, "nothing was trained again")
        let listed = try #require(try f.manifest(second)["checkpoints"] as? [[String: Any]])
        #expect(listed.compactMap { $0["path"] as? String } == earlier.map(\.path))

        // Steps 1 and 3 are neither the best (evaluations are at steps 2 and 4) nor the last.
        let stepOne = try #require(earlier.first { $0.step == 1 }), stepThree = try #require(earlier.first { $0.step == 3 })
        try FileManager.default.removeItem(atPath: stepThree.path)
        let third = try f.run(everyStep, name: "c")
        #expect(third.phases.map(\.outcome) == ["ran", "reused", "reused", "reused"], "\(third.phases)")
        #expect(try f.store.checkpoints(runID: third.runID).map(\.step) == earlier.map(\.step).filter { $0 != 3 })

        let weights = try #require(FileManager.default.enumerator(atPath: stepOne.path)?.compactMap { $0 as? String }
            .first { $0.hasSuffix(".safetensors") })
        let file = URL(fileURLWithPath: stepOne.path).appendingPathComponent(weights)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 1] ^= 0xff
        try bytes.write(to: file)
        let fourth = try f.run(everyStep, name: "d")
        #expect(fourth.status == .finished, "\(fourth.error ?? "")")
        #expect(fourth.phases.map(\.outcome) == ["ran", "reused", "reused", "ran"], "\(fourth.phases)")
        #expect(try f.store.checkpoints(runID: fourth.runID).allSatisfy { $0.path.hasPrefix(fourth.runDirectory.path) })
    }
}
