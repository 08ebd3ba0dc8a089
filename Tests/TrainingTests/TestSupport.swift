import Foundation
import TestSupport
@testable import Training

/// Writes a BLOCKTOK token file (the format of `MappedTokenFile`) for tests.
func writeTokenFile(_ url: URL, sequences: [[Int]], sequenceLength: Int, vocabSize: Int,
                    lastValid: Int? = nil, padTokenID: Int = 0, bytesPerToken: Int = 2) throws {
    var data = Data()
    func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
    func u64(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { data.append(contentsOf: $0) } }
    data.append(contentsOf: Array("BLOCKTOK".utf8))
    u32(1); u32(bytesPerToken); u64(sequences.count * sequenceLength); u32(sequenceLength); u32(0)
    u64(sequences.count); u32(lastValid ?? sequenceLength); u32(padTokenID); u32(vocabSize)
    data.append(contentsOf: [UInt8](repeating: 0, count: 12))
    for s in sequences {
        precondition(s.count == sequenceLength)
        for t in s {
            if bytesPerToken == 2 { withUnsafeBytes(of: UInt16(t).littleEndian) { data.append(contentsOf: $0) } }
            else { u32(t) }
        }
    }
    try data.write(to: url)
}

/// A dataset directory: train.bin, val.bin, dataset.json and a tokenizer/ folder.
/// Sequences follow a fixed pattern (a cyclic walk), so a model can learn them.
func writeDataset(_ dir: URL, trainSequences: Int = 16, valSequences: Int = 4, sequenceLength: Int = 16,
                  vocabSize: Int = 64, lastValid: Int? = nil) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    func sequences(_ n: Int, offset: Int) -> [[Int]] {
        (0..<n).map { s in (0..<sequenceLength).map { i in (s * 7 + offset + i * 3) % (vocabSize - 1) + 1 } }
    }
    try writeTokenFile(dir.appendingPathComponent("train.bin"), sequences: sequences(trainSequences, offset: 0),
                       sequenceLength: sequenceLength, vocabSize: vocabSize, lastValid: lastValid)
    try writeTokenFile(dir.appendingPathComponent("val.bin"), sequences: sequences(valSequences, offset: 5),
                       sequenceLength: sequenceLength, vocabSize: vocabSize)
    try #"{"vocab_size": \#(vocabSize), "sequence_length": \#(sequenceLength)}"#.write(
        to: dir.appendingPathComponent("dataset.json"), atomically: true, encoding: .utf8)
    let tok = dir.appendingPathComponent("tokenizer")
    try FileManager.default.createDirectory(at: tok, withIntermediateDirectories: true)
    try "{}".write(to: tok.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
}

/// The Python with torch and transformers that scripts/setup/training.sh prepares.
func trainPython() throws -> String {
    guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_TRAIN_PYTHON"], !python.isEmpty else {
        throw TestFailure("BLOCKLAB_TRAIN_PYTHON is unset: run `eval \"$(scripts/setup/training.sh | tail -1)\"` first")
    }
    return python
}
