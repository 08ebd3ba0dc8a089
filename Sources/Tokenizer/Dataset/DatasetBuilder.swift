import DurableFiles
import Foundation
import TrainingPlan

/// Phase 2: JSONL records in, `OUT/tokenizer/`, `OUT/train.bin`, `OUT/val.bin` and
/// `OUT/dataset.json` out. Records are split first; the tokenizer (unless one is given) is
/// trained on the training records only; each record is rendered, encoded and followed by
/// `<|endoftext|>`; each split's stream is packed into sequences.
///
/// It streams, in three passes, so its memory does not grow with the input: the first reads
/// the inputs a few MiB at a time, parses and renders each record and spools the text to a
/// temporary file beside the outputs (`CorpusSpool`), keeping only each record's source and
/// time (for the split); the second counts the training records' words (`WordCounter`:
/// bounded by the distinct words); the third encodes the records a batch at a time and
/// writes each token file as its stream arrives (`TokenFile.Writer`). The files are the
/// ones the same records would give built whole in memory.
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
        /// About how many bytes of input the passes hold at a time (lines read, records
        /// counted or encoded). Tests make it small, so that small inputs cross batch edges.
        var batchBytes = 4 << 20
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

        // Render with every marker escaped; a given tokenizer's added tokens are escaped too.
        var loaded: BPETokenizer?
        if let directory = options.tokenizerDirectory { loaded = try BPETokenizer.load(directory: directory) }
        var escaped = SpecialTokens.all
        for token in loaded?.addedTokens ?? [] where !escaped.contains(token.content) { escaped.append(token.content) }

        // Pass 1: parse, render, spool.
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let spool = try CorpusSpool(directory: URL(fileURLWithPath: output))
        defer { spool.remove() }
        let scanned = try scan(inputs, into: spool, specials: escaped, sha256: sha256, progress: progress)
        let sources = scanned.sources
        guard !sources.isEmpty else {
            throw TokenizerError("the input has no commit or file_chunk records (\(inputs.joined(separator: ", "))); run `blocklab scrape` first or check the files.")
        }
        let validation = DatasetSplit.validationSet(sources: sources, method: options.split, validationFraction: options.validationFraction,
                                                    seed: options.seed) { scanned.times[$0] }
        let validationCount = validation.lazy.filter { $0 }.count
        progress("split \(sources.count - validationCount) train / \(validationCount) validation records (\(options.split.rawValue), seed \(options.seed))")

        // Pass 2: the tokenizer, trained on the training records' word counts.
        let tokenizer: BPETokenizer
        var trainSeconds: Double?
        if let loaded {
            tokenizer = loaded
            let missing = SpecialTokens.all.filter { loaded.id(of: $0) == nil }
            if !missing.isEmpty { progress("warning: the tokenizer lacks \(missing.joined(separator: " ")); those markers are encoded as plain text") }
        } else {
            let start = Date()
            let trainer = BPETrainer(vocabularySize: options.vocabularySize, threads: options.threads)
            tokenizer = try trainer.train(words: countWords(spool, trainer: trainer, validation: validation))
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
        let tokenizerDirectory = (output as NSString).appendingPathComponent("tokenizer")
        try tokenizer.save(directory: tokenizerDirectory, modelMaxLength: options.sequenceLength)

        // Pass 3: encode, pack, write.
        let start = Date()
        let parts = try encode(spool, sources: sources, validation: validation, tokenizer: tokenizer, pad: UInt32(pad),
                               output: URL(fileURLWithPath: output), sha256: sha256)
        progress(String(format: "encoded %.1f MB in %.1f s", Double(spool.textBytes) / 1e6, Date().timeIntervalSince(start)))
        let (train, val) = parts
        for part in [train, val] { progress("wrote \(part.file): \(part.sequences) sequences from \(part.streamTokens) tokens") }

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
            inputs: scanned.inputs,
            records: .init(commit: sources.lazy.filter { $0 == .commit }.count,
                           fileChunk: sources.lazy.filter { $0 == .fileChunk }.count,
                           train: sources.count - validationCount, val: validationCount),
            tokenizer: .init(directory: "tokenizer", origin: options.tokenizerDirectory ?? "trained",
                             sha256: files["tokenizer.json"]!, files: files,
                             specialTokens: tokenizer.addedTokens.map(\.content), padTokenId: pad,
                             merges: tokenizer.merges.count, trainSeconds: trainSeconds),
            vocabSize: tokenizer.vocabularySize, bytesPerToken: Int(TokenFile.Header.bytesPerToken(vocabularySize: tokenizer.vocabularySize)),
            sequenceLength: options.sequenceLength, overlap: options.overlap, tail: options.keepTail ? "keep" : "drop",
            split: .init(method: options.split, seed: options.seed, validationFraction: options.validationFraction),
            train: train, val: val, tokensBySource: bySource,
            epochs: .init(value: epochs, targetTokens: options.targetTokens, minEpochs: options.minEpochs,
                          maxEpochs: options.maxEpochs, trainSequences: train.sequences))
        try manifest.write(to: manifestPath)
        progress("wrote dataset.json: \(train.sequences) train / \(val.sequences) validation sequences, \(epochs) epochs")
        return manifest
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
