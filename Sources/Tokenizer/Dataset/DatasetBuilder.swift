import DurableFiles
import Foundation
import TrainingPlan

/// Phase 2: JSONL records in, `OUT/tokenizer/`, `OUT/train.bin`, `OUT/val.bin` and
/// `OUT/dataset.json` out. Records are split first; the tokenizer (unless one is given) is
/// trained on the training records only; each record is rendered, encoded and followed by
/// `<|endoftext|>`; each split's stream is packed into sequences.
///
///     let manifest = try DatasetBuilder(options).build(inputs: ["commits.jsonl"], output: "out",
///                                                       sha256: ExperimentStore.sha256(ofFile:))
public struct DatasetBuilder: Sendable {
    public struct Options: Sendable {
        public var vocabularySize = 16_384
        public var sequenceLength = 2048
        /// 0 by default: each stream token is in exactly one sequence per epoch.
        public var overlap = 0
        public var keepTail = true
        public var split = SplitMethod.random
        public var seed: UInt64 = 42
        public var validationFraction = 0.1
        public var targetTokens = TrainingPlan.defaultTargetTokens
        public var minEpochs = TrainingPlan.defaultMinEpochs
        public var maxEpochs = TrainingPlan.defaultMaxEpochs
        /// A tokenizer directory to use instead of training one.
        public var tokenizerDirectory: String?
        public var threads = ProcessInfo.processInfo.activeProcessorCount
        public init() {}
    }

    public let options: Options
    public init(_ options: Options) { self.options = options }

    /// Checks every option before any work is done.
    public func validate() throws {
        _ = try SequencePacker(sequenceLength: options.sequenceLength, overlap: options.overlap, keepTail: options.keepTail)
        if options.tokenizerDirectory == nil {
            try BPETrainer(vocabularySize: options.vocabularySize).validate()
        }
        guard options.validationFraction >= 0, options.validationFraction < 1 else {
            throw TokenizerError("validation fraction \(options.validationFraction) must be at least 0 and below 1 (default 0.1).")
        }
        guard options.minEpochs >= 1, options.minEpochs <= options.maxEpochs else {
            throw TokenizerError("epochs bounds must satisfy 1 <= min (\(options.minEpochs)) <= max (\(options.maxEpochs)).")
        }
    }

    /// Builds the dataset into `output`. `sha256` hashes a file (hex). `progress` gets
    /// one line per step, for stderr.
    public func build(inputs: [String], output: String, sha256: (String) throws -> String,
                      progress: (String) -> Void = { _ in }) throws -> DatasetManifest {
        try validate()
        guard !inputs.isEmpty else { throw TokenizerError("no input files; pass one or more JSONL files with --input.") }
        let manifestPath = (output as NSString).appendingPathComponent("dataset.json")
        var records: [DatasetRecord] = []
        var inputInfo: [DatasetManifest.Input] = []
        for path in inputs {
            let fileRecords = try DatasetRecord.read(file: path)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            inputInfo.append(.init(path: path, sha256: try sha256(path), bytes: bytes, records: fileRecords.count))
            records += fileRecords
            progress("read \(fileRecords.count) records from \(path)")
        }
        guard !records.isEmpty else {
            throw TokenizerError("the input has no commit or file_chunk records (\(inputs.joined(separator: ", "))); run `blocklab scrape` first or check the files.")
        }
        let parts = DatasetSplit.split(records, method: options.split, validationFraction: options.validationFraction, seed: options.seed)
        progress("split \(parts.train.count) train / \(parts.validation.count) validation records (\(options.split.rawValue), seed \(options.seed))")

        // Render with every marker escaped; a given tokenizer's added tokens are escaped too.
        var loaded: BPETokenizer?
        if let directory = options.tokenizerDirectory { loaded = try BPETokenizer.load(directory: directory) }
        var escaped = SpecialTokens.all
        for token in loaded?.addedTokens ?? [] where !escaped.contains(token.content) { escaped.append(token.content) }
        let texts = render(records, specials: escaped)

        let tokenizer: BPETokenizer
        var trainSeconds: Double?
        if let loaded {
            tokenizer = loaded
            let missing = SpecialTokens.all.filter { loaded.id(of: $0) == nil }
            if !missing.isEmpty { progress("warning: the tokenizer lacks \(missing.joined(separator: " ")); those markers are encoded as plain text") }
        } else {
            let start = Date()
            let trainer = BPETrainer(vocabularySize: options.vocabularySize, threads: options.threads)
            tokenizer = try trainer.train(parts.train.map { texts[$0] })
            trainSeconds = Date().timeIntervalSince(start)
            progress(String(format: "trained %d merges in %.1f s (vocabulary %d)", tokenizer.merges.count, trainSeconds!, tokenizer.vocabularySize))
        }
        guard let pad = tokenizer.endOfTextID else {
            throw TokenizerError("the tokenizer has no \(SpecialTokens.endOfText) token, which separates records and pads sequences; use a tokenizer that has it.")
        }
        // dataset.json is written last and vouches for the other files: an old one goes before
        // the first file is written, so a build that fails half-way leaves no manifest over
        // mismatched files.
        try? FileManager.default.removeItem(atPath: manifestPath)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let tokenizerDirectory = (output as NSString).appendingPathComponent("tokenizer")
        try tokenizer.save(directory: tokenizerDirectory, modelMaxLength: options.sequenceLength)

        let start = Date()
        let ids = tokenizer.encodeBatch(texts, threads: options.threads)
        let totalBytes = texts.reduce(0) { $0 + $1.utf8.count }
        progress(String(format: "encoded %.1f MB in %.1f s", Double(totalBytes) / 1e6, Date().timeIntervalSince(start)))

        let packer = try SequencePacker(sequenceLength: options.sequenceLength, overlap: options.overlap, keepTail: options.keepTail)
        let bytesPerToken = TokenFile.Header.bytesPerToken(vocabularySize: tokenizer.vocabularySize)
        func writePart(_ indices: [Int], _ name: String) throws -> DatasetManifest.Part {
            var stream: [UInt32] = []
            stream.reserveCapacity(indices.reduce(0) { $0 + ids[$1].count + 1 })
            var bySource: [String: Int] = [:]
            for index in indices {
                stream += ids[index]
                stream.append(UInt32(pad))
                bySource[records[index].source.rawValue, default: 0] += ids[index].count + 1
            }
            let packed = packer.pack(stream, padID: UInt32(pad))
            let header = TokenFile.Header(
                bytesPerToken: bytesPerToken, sequenceLength: UInt32(options.sequenceLength), overlap: UInt32(options.overlap),
                sequenceCount: UInt64(packed.sequenceCount), lastSequenceValidTokens: UInt32(packed.lastValidTokens),
                padTokenID: UInt32(pad), vocabularySize: UInt32(tokenizer.vocabularySize))
            let path = (output as NSString).appendingPathComponent(name)
            try TokenFile.write(path, header: header, sequences: packed.tokens)
            let padding = packed.sequenceCount == 0 ? 0 : options.sequenceLength - packed.lastValidTokens
            progress("wrote \(name): \(packed.sequenceCount) sequences from \(stream.count) tokens")
            return .init(file: name, sha256: try sha256(path), bytes: TokenFile.headerSize + packed.tokens.count * Int(bytesPerToken),
                         records: indices.count, sequences: packed.sequenceCount, streamTokens: stream.count,
                         storedTokens: packed.tokens.count, paddingTokens: padding, droppedTokens: packed.droppedTokens,
                         lastSequenceValidTokens: packed.lastValidTokens, tokensBySource: bySource)
        }
        let train = try writePart(parts.train, "train.bin")
        let val = try writePart(parts.validation, "val.bin")

        var files: [String: String] = [:]
        for name in BPETokenizer.fileNames {
            files[name] = try sha256((tokenizerDirectory as NSString).appendingPathComponent(name))
        }
        var bySource = train.tokensBySource
        for (key, value) in val.tokensBySource { bySource[key, default: 0] += value }
        let epochs = TrainingPlan.epochs(targetTokens: options.targetTokens, sequences: train.sequences,
                                         sequenceLength: options.sequenceLength,
                                         minEpochs: options.minEpochs, maxEpochs: options.maxEpochs)
        let manifest = DatasetManifest(
            inputs: inputInfo,
            records: .init(commit: records.filter { $0.source == .commit }.count,
                           fileChunk: records.filter { $0.source == .fileChunk }.count,
                           train: parts.train.count, val: parts.validation.count),
            tokenizer: .init(directory: "tokenizer", origin: options.tokenizerDirectory ?? "trained",
                             sha256: files["tokenizer.json"]!, files: files,
                             specialTokens: tokenizer.addedTokens.map(\.content), padTokenId: pad,
                             merges: tokenizer.merges.count, trainSeconds: trainSeconds),
            vocabSize: tokenizer.vocabularySize, bytesPerToken: Int(bytesPerToken),
            sequenceLength: options.sequenceLength, overlap: options.overlap, tail: options.keepTail ? "keep" : "drop",
            split: .init(method: options.split, seed: options.seed, validationFraction: options.validationFraction),
            train: train, val: val, tokensBySource: bySource,
            epochs: .init(value: epochs, targetTokens: options.targetTokens, minEpochs: options.minEpochs,
                          maxEpochs: options.maxEpochs, trainSequences: train.sequences))
        try manifest.write(to: manifestPath)
        progress("wrote dataset.json: \(train.sequences) train / \(val.sequences) validation sequences, \(epochs) epochs")
        return manifest
    }

    /// The texts of all records, rendered on `threads` threads.
    func render(_ records: [DatasetRecord], specials: [String]) -> [String] {
        var texts = [String](repeating: "", count: records.count)
        texts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            let workers = max(1, min(options.threads, records.count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: worker, to: records.count, by: workers) {
                    out[index] = DatasetTemplate.render(records[index], specials: specials)
                }
            }
        }
        return texts
    }
}

extension DatasetManifest {
    /// Writes pretty, key-sorted, snake_case JSON durably (`DurableFile`).
    public func write(to path: String) throws {
        try DurableFile.write(Data(encodedJSON()), to: URL(fileURLWithPath: path))
    }

    public func encodedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public static func read(_ path: String) throws -> DatasetManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError("cannot read \(path); run `blocklab tokenize` first.")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(DatasetManifest.self, from: data)
    }
}
