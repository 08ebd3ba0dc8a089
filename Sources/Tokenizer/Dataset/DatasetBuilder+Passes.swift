import DurableFiles
import Foundation

// The three passes of `DatasetBuilder.build`. Each holds one batch of a few MiB at a time
// (and pass 2 the word counts); the order of records is the inputs' order throughout.
extension DatasetBuilder {
    /// What pass 1 keeps of each record, to split them: its source and, for a chronological
    /// split, a commit's author time (seconds since 1970).
    struct Scanned {
        var sources: [DatasetRecord.Source] = []
        var times: [Double] = []
        var inputs: [DatasetManifest.Input] = []
    }

    /// Pass 1: reads each input a batch of lines at a time, parses and renders the records
    /// on the worker threads, and spools their texts in input order. The first bad line (in
    /// file order) throws, naming the file and the line.
    func scan(_ inputs: [String], into spool: CorpusSpool, specials: [String], sha256: (String) throws -> String,
              progress: (String) -> Void) throws -> Scanned {
        typealias Rendered = (source: DatasetRecord.Source, time: Double, text: String)
        let chronological = options.split == .chronological
        var scanned = Scanned()
        for path in inputs {
            let reader = try LineBatchReader(path: path, batchBytes: options.batchBytes, missing: DatasetRecord.unreadable(path))
            let before = scanned.sources.count
            while let batch = try reader.next() {
                var results = [Result<Rendered?, Error>](repeating: .success(nil), count: batch.count)
                results.withUnsafeMutableBufferPointer { buffer in
                    nonisolated(unsafe) let out = buffer  // each index is written by one worker
                    parallelIndices(count: batch.count, workers: options.threads) { _, k in
                        out[k] = Result {
                            guard let record = try DatasetRecord.parse(bytes: batch.bytes[batch.ranges[k]], file: path,
                                                                       lineNumber: batch.first + k) else { return nil }
                            var time = 0.0
                            if chronological, case .commit(let commit) = record { time = DatasetSplit.parseDate(commit.authorTimestamp) }
                            return (record.source, time, DatasetTemplate.render(record, specials: specials))
                        }
                    }
                }
                for result in results {
                    guard var rendered = try result.get() else { continue }
                    try rendered.text.withUTF8 { try spool.append($0) }
                    scanned.sources.append(rendered.source)
                    if chronological { scanned.times.append(rendered.time) }
                }
            }
            let records = scanned.sources.count - before
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            scanned.inputs.append(.init(path: path, sha256: try sha256(path), bytes: bytes, records: records))
            progress("read \(records) records from \(path)")
        }
        try spool.flush()
        return scanned
    }

    /// Pass 2: the word counts of the training records (`validation[i]` false).
    func countWords(_ spool: CorpusSpool, trainer: BPETrainer, validation: [Bool]) throws -> WordCounter.Tally {
        let counter = WordCounter(specialTokens: trainer.specialTokens, threads: options.threads)
        try spool.read(batchBytes: options.batchBytes) { batch in counter.add(batch) { !validation[$0] } }
        return counter.finish()
    }

    /// Pass 3: encodes the records a batch at a time (each worker keeps its encoder, and so
    /// its cache of words, from batch to batch) and streams each record's ids and an
    /// end of text into its side's token file, in input order.
    func encode(_ spool: CorpusSpool, sources: [DatasetRecord.Source], validation: [Bool], tokenizer: BPETokenizer,
                pad: UInt32, output: URL, sha256: (String) throws -> String)
        throws -> (train: DatasetManifest.Part, validation: DatasetManifest.Part) {
        let packer = try SequencePacker(sequenceLength: options.sequenceLength, overlap: options.overlap, keepTail: options.keepTail)
        let encoders = (0..<max(1, options.threads)).map { _ in tokenizer.makeEncoder() }
        let names = ["train.bin", "val.bin"]
        var headers: [TokenFile.Header] = []
        var dropped = [0, 0], streamTokens = [0, 0], records = [0, 0]
        var bySource = [[String: Int]](repeating: [:], count: 2)
        try DurableFile.write(to: output.appendingPathComponent(names[0])) { trainHandle in
            try DurableFile.write(to: output.appendingPathComponent(names[1])) { validationHandle in
                let writers = try [trainHandle, validationHandle].map {
                    try TokenFile.Writer(handle: $0, packer: packer, padID: pad, vocabularySize: tokenizer.vocabularySize)
                }
                try spool.read(batchBytes: options.batchBytes) { batch in
                    var ids = [[UInt32]](repeating: [], count: batch.count)
                    ids.withUnsafeMutableBufferPointer { buffer in
                        nonisolated(unsafe) let out = buffer  // each index is written by one worker
                        parallelIndices(count: batch.count, workers: encoders.count) { worker, k in
                            batch.withText(k) { encoders[worker].encode($0, into: &out[k]) }
                        }
                    }
                    for k in 0..<batch.count {
                        let index = batch.first + k, side = validation[index] ? 1 : 0
                        try writers[side].append(ids[k])
                        try writers[side].append(CollectionOfOne(pad))
                        records[side] += 1
                        bySource[side][sources[index].rawValue, default: 0] += ids[k].count + 1
                    }
                }
                for (side, writer) in writers.enumerated() {
                    headers.append(try writer.finish())
                    dropped[side] = writer.droppedTokens
                    streamTokens[side] = writer.streamTokens
                }
            }
        }
        let parts = try (0..<2).map { side -> DatasetManifest.Part in
            let header = headers[side], sequences = Int(header.sequenceCount), last = Int(header.lastSequenceValidTokens)
            let stored = Int(header.tokenCount)
            return .init(file: names[side], sha256: try sha256(output.appendingPathComponent(names[side]).path),
                         bytes: TokenFile.headerSize + stored * Int(header.bytesPerToken), records: records[side],
                         sequences: sequences, streamTokens: streamTokens[side], storedTokens: stored,
                         paddingTokens: sequences == 0 ? 0 : options.sequenceLength - last, droppedTokens: dropped[side],
                         lastSequenceValidTokens: last, tokensBySource: bySource[side])
        }
        return (parts[0], parts[1])
    }
}
