import Foundation
@testable import Tokenizer

/// The dataset as BlockLab built it before tokenizing streamed: every record read whole,
/// rendered and encoded in memory, the tokenizer trained on the training texts, each split's
/// stream packed whole by the arithmetic of the old `SequencePacker.pack`. The streaming
/// build must write the same bytes (token files and tokenizer files).
enum WholeCorpusReference {
    static func build(inputs: [String], output: String, options: DatasetBuilder.Options) throws {
        var records: [DatasetRecord] = []
        for path in inputs {
            // The old reader: the whole file decoded, then cut at "\n".
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.allSatisfy(\.isWhitespace) { continue }
                if let record = try DatasetRecord.parse(line: line, file: path, lineNumber: index + 1) { records.append(record) }
            }
        }
        let parts = DatasetSplit.split(records, method: options.split, validationFraction: options.validationFraction, seed: options.seed)
        let texts = records.map { DatasetTemplate.render($0, specials: SpecialTokens.all) }
        let tokenizer = try BPETrainer(vocabularySize: options.vocabularySize, threads: options.threads).train(parts.train.map { texts[$0] })
        guard let pad = tokenizer.endOfTextID.map(UInt32.init) else { throw TokenizerError("no end of text") }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try tokenizer.save(directory: output + "/tokenizer", modelMaxLength: options.sequenceLength)
        let ids = tokenizer.encodeBatch(texts, threads: options.threads)
        for (indices, name) in [(parts.train, "train.bin"), (parts.validation, "val.bin")] {
            var stream: [UInt32] = []
            for index in indices {
                stream += ids[index]
                stream.append(pad)
            }
            let (tokens, count, last) = pack(stream, padID: pad, options: options)
            let header = TokenFile.Header(
                bytesPerToken: TokenFile.Header.bytesPerToken(vocabularySize: tokenizer.vocabularySize),
                sequenceLength: UInt32(options.sequenceLength), overlap: UInt32(options.overlap),
                sequenceCount: UInt64(count), lastSequenceValidTokens: UInt32(last),
                padTokenID: pad, vocabularySize: UInt32(tokenizer.vocabularySize))
            try TokenFile.write(output + "/" + name, header: header, sequences: tokens)
        }
    }

    /// The old whole-stream packing: full sequences at each stride, then the padded tail.
    static func pack(_ stream: [UInt32], padID: UInt32, options: DatasetBuilder.Options) -> (tokens: [UInt32], count: Int, last: Int) {
        let length = options.sequenceLength, stride = length - options.overlap, n = stream.count
        let full = n >= length ? (n - length) / stride + 1 : 0
        let covered = full > 0 ? (full - 1) * stride + length : 0
        let count = full + (n > covered && options.keepTail ? 1 : 0)
        var tokens = [UInt32](repeating: padID, count: count * length)
        for i in 0..<count {
            let start = i * stride
            for k in 0..<min(length, n - start) { tokens[i * length + k] = stream[start + k] }
        }
        let last = count == 0 ? 0 : (count > full ? n - full * stride : length)
        return (tokens, count, last)
    }
}
