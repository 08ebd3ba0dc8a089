import ExperimentStore
import Foundation
import TestSupport
import HardwareMonitor

/// Stores made for the tests through the real run API: answers known in advance.
enum Fixtures {
    /// A finished run with `keys` logged at steps 0..<steps (value of key k at step s:
    /// 4 / (1 + s/100) + k), a config, two phases, a checkpoint file and hardware samples.
    @discardableResult
    static func run(in store: ExperimentStore, name: String, steps: Int = 200, keys: [String] = ["train/loss", "train/lr", "val/loss"],
                    config: [String: String] = ["training.base_learning_rate": "5e-05", "training.seed": "42"],
                    tags: [String: String] = [:], status: RunStatus = .finished, dir: String) throws -> RunInfo {
        // `config` keys are `training.NAME`; the snapshot holds them under a `training` section.
        let section = Dictionary(uniqueKeysWithValues: config.map { (String($0.key.dropFirst("training.".count)), JSONValue.string($0.value)) })
        let json = JSONValue.object(["training": .object(section)]).jsonString()
        let yaml = "training:\n" + config.sorted { $0.key < $1.key }.map { "  \($0.key.dropFirst("training.".count)): \($0.value)\n" }.joined()
        let run = try store.startRun(RunSpec(name: name, tags: tags, config: ConfigSnapshot(yaml: yaml, resolvedJSON: Data(json.utf8)),
                                             sourceRepository: "/src/repo", sourceCommit: "0123456789abcdef"))
        try run.startPhase("tokenize")
        try run.finishPhase("tokenize")
        try run.startPhase("train")
        for step in 0..<steps {
            var metrics = [String: Double]()
            for (k, key) in keys.enumerated() { metrics[key] = 4 / (1 + Double(step) / 100) + Double(k) }
            run.log(step: step, epoch: Double(step) / 100, metrics)
            if step % 50 == 0 {
                run.logHardware(HardwareSample(step: step, cpuPercent: 50 + Double(step % 7), ramUsedBytes: 1 << 30, ramPercent: 40,
                                               processRSSBytes: 300 << 20))
            }
        }
        let checkpoint = "\(dir)/\(name)-ckpt.bin"
        FileManager.default.createFile(atPath: checkpoint, contents: Data(repeating: 7, count: 1024))
        try run.recordCheckpoint(path: checkpoint, step: steps - 1, format: "safetensors", isBest: true, metrics: ["val/loss": 1.5])
        try run.finishPhase("train")
        try run.finish(status: status, error: status == .failed ? "out of memory at step \(steps)" : nil)
        return try store.run(String(run.id))
    }
}
