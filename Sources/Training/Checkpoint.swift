import DurableFiles
import Foundation
import Torch

/// Writes and reads checkpoint directories. A checkpoint is a complete Hugging Face model
/// directory plus `training_state.safetensors` (AdamW moments) and `training_state.json`,
/// written durably: complete under a temporary name, synced, then renamed into place.
/// `Checkpoint.Folder` keeps the output directory's layout (step directories, links).
enum Checkpoint {
    static func write(to dir: URL, model: GPTModel, optimizer: AdamW, state: TrainingState, data: TrainingData,
                      report: TrainingReport, bosTokenID: Int?, eosTokenID: Int?) throws {
        try DurableFile.writeDirectory(at: dir) { tmp in
            let fm = FileManager.default
            try ModelDirectory.saveModel(model, to: tmp, bosTokenID: bosTokenID, eosTokenID: eosTokenID)
            if let files = try? fm.contentsOfDirectory(at: data.tokenizerDirectory, includingPropertiesForKeys: nil) {
                for file in files where !file.hasDirectoryPath { try fm.copyItem(at: file, to: tmp.appendingPathComponent(file.lastPathComponent)) }
            }
            let n = model.parameterValueCount
            try SafeTensors.write(["exp_avg": .init(shape: [n], values: try optimizer.moments(0)),
                                   "exp_avg_sq": .init(shape: [n], values: try optimizer.moments(1))],
                                  metadata: ["format": "blocklab-adamw", "step": "\(optimizer.stepCount)"],
                                  to: tmp.appendingPathComponent(ModelDirectory.stateTensorsFile))
            try DurableFile.write(try TrainingReport.encoder.encode(state), to: tmp.appendingPathComponent(ModelDirectory.stateFile))
            try report.write(to: tmp.appendingPathComponent(ModelDirectory.reportFile))
        }
    }

    static func readState(from dir: URL) throws -> TrainingState {
        let url = dir.appendingPathComponent(ModelDirectory.stateFile)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.badCheckpoint("\(url.path) is missing: the checkpoint cannot be resumed")
        }
        do { return try TrainingReport.decoder.decode(TrainingState.self, from: data) } catch {
            throw TrainingError.badCheckpoint("\(url.path) is not a BlockLab training state: \(error)")
        }
    }

    static func restoreOptimizer(_ optimizer: AdamW, from dir: URL, stepCount: Int) throws {
        let tensors = try SafeTensors.read(dir.appendingPathComponent(ModelDirectory.stateTensorsFile))
        guard let m = tensors["exp_avg"], let v = tensors["exp_avg_sq"], m.values.count == optimizer.model.parameterValueCount,
              v.values.count == m.values.count else {
            throw TrainingError.badCheckpoint("\(dir.path): the optimizer state does not match the model")
        }
        try optimizer.restore(expAvg: m.values, expAvgSq: v.values, stepCount: stepCount)
    }
}
