import Foundation
import TestSupport
import Pipeline
import Testing

/// The repository's training_config.yaml.
let repositoryConfig: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return (try? String(contentsOf: root.appendingPathComponent("training_config.yaml"), encoding: .utf8)) ?? ""
}()

/// The quick profile shrunk further for a test: a 40-commit repository trains in seconds.
let testOverrides = [
    "tokenizer.vocab_size=300", "dataset.sequence_length=33", "model.n_positions=32", "training.max_steps=4",
    "training.eval_every_steps=2", "training.threads=2", "training.batch_size=2", "pipeline.phases=analyse,scrape,tokenize,train",
]
