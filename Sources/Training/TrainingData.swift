import Foundation
import TrainingPlan

/// The dataset directory of phase 2: `train.bin`, `val.bin`, `dataset.json`, `tokenizer/`.
public struct TrainingData {
    public let directory: URL
    public let train: MappedTokenFile
    public let validation: MappedTokenFile

    public init(directory: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw TrainingError.badDataset("dataset directory \(directory.path) does not exist: run `blocklab tokenize` first, or pass --data DIR")
        }
        self.directory = directory
        train = try MappedTokenFile(url: directory.appendingPathComponent("train.bin"))
        validation = try MappedTokenFile(url: directory.appendingPathComponent("val.bin"))
        guard train.header.vocabularySize == validation.header.vocabularySize, train.sequenceLength == validation.sequenceLength else {
            throw TrainingError.badDataset("train.bin and val.bin in \(directory.path) disagree on vocab_size or sequence_length: tokenize again")
        }
        guard train.header.vocabularySize > 0 else {
            throw TrainingError.badDataset("train.bin in \(directory.path) has vocab_size 0")
        }
    }

    public var vocabSize: Int { Int(train.header.vocabularySize) }
    public var sequenceLength: Int { train.sequenceLength }
    public var tokenizerDirectory: URL { directory.appendingPathComponent("tokenizer") }
}

/// Training order: a permutation of the training sequences per epoch, a pure function of
/// (seed, epoch), so the data position of any step is known without saved state.
public func epochOrder(sequences: Int, seed: Int, epoch: Int) -> [Int] {
    var rng = SeededGenerator(seed: UInt64(seed) &* 0x9E37_79B9 &+ UInt64(epoch) &* 0x85EB_CA6B &+ 1)
    var order = Array(0..<sequences)
    order.shuffle(using: &rng)
    return order
}
