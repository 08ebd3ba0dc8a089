import Foundation
import TestSupport
import Testing
@testable import Tokenizer

/// Tokenizing streams: on a real scrape (this repository's history, by `blocklab scrape`),
/// the files are byte for byte those of the whole-corpus build BlockLab did before, and a
/// corpus larger than the memory the process may take is still tokenized, to the same files.
@Suite(.serialized) struct StreamingDatasetTests {
    /// This repository's history and HEAD files, scraped once per test process:
    /// `commits.jsonl` and `files.jsonl` in a directory that outlives the tests.
    static let scrape = Result<String, any Error> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let out = try TestSupport.makeTemporaryDirectory("blocklab-tok-scrape").path
        try runProcess(BuiltProducts.blocklab, ["scrape", "--repo", root, "--out", out, "--no-store", "--workers", "2"])
        return out
    }

    func files(_ directory: String) -> [String] {
        ["train.bin", "val.bin"] + BPETokenizer.fileNames.map { "tokenizer/" + $0 }
    }

    static let layouts: [(split: SplitMethod, keepTail: Bool, overlap: Int, sequenceLength: Int, withFiles: Bool)] = [
        (.random, true, 0, 256, true),
        (.chronological, false, 48, 128, false),
    ]

    @Test(arguments: 0..<layouts.count)
    func theStreamedFilesAreThoseOfTheWholeCorpusBuild(layout: Int) throws {
        let scraped = try Self.scrape.get()
        let l = Self.layouts[layout]
        let inputs = [scraped + "/commits.jsonl"] + (l.withFiles ? [scraped + "/files.jsonl"] : [])
        var options = DatasetBuilder.Options()
        options.vocabularySize = 400
        options.sequenceLength = l.sequenceLength
        options.overlap = l.overlap
        options.keepTail = l.keepTail
        options.split = l.split
        options.threads = 2
        options.batchBytes = 64 << 10  // many batches, records across their edges
        let dir = TempDir()
        let manifest = try DatasetBuilder(options).build(inputs: inputs, output: dir.file("streamed"), sha256: fakeSHA256)
        try WholeCorpusReference.build(inputs: inputs, output: dir.file("whole"), options: options)
        #expect(manifest.records.commit > 200 && manifest.train.sequences > 100, "a real history: \(manifest.records)")
        for name in files(dir.path) {
            let streamed = try Data(contentsOf: URL(fileURLWithPath: dir.file("streamed/" + name)))
            let whole = try Data(contentsOf: URL(fileURLWithPath: dir.file("whole/" + name)))
            #expect(streamed == whole, "\(name): \(streamed.count) bytes streamed, \(whole.count) whole")
        }
        // No spool is left beside the outputs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("streamed")).sorted()
                == ["dataset.json", "tokenizer", "train.bin", "val.bin"])
    }

    /// `blocklab tokenize` in a child whose data segment (RLIMIT_DATA: heap and every private
    /// writable mapping, so every buffer and thread stack; not the executable's or the
    /// libraries' code) may not exceed `limit`, on the scrape's records written over and
    /// over to more than `limit` bytes: it finishes, and its files are the unbounded build's.
    @Test(.tags(.slow)) func aCorpusLargerThanTheMemoryAllowedIsTokenized() throws {
        let scraped = try Self.scrape.get()
        let limit = 96 << 20
        let dir = TempDir()
        let corpus = dir.file("corpus.jsonl")
        let one = try Data(contentsOf: URL(fileURLWithPath: scraped + "/commits.jsonl"))
            + Data(contentsOf: URL(fileURLWithPath: scraped + "/files.jsonl"))
        #expect(FileManager.default.createFile(atPath: corpus, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: corpus))
        while try handle.offset() <= UInt64(limit + limit / 8) { try handle.write(contentsOf: one) }
        try handle.close()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: corpus)[.size] as? Int)
        #expect(size > limit)

        let arguments = ["tokenize", "--input", corpus, "--out", dir.file("bounded"), "--no-store", "--vocab-size", "300",
                         "--sequence-length", "512", "--threads", "2", "--split", "random", "--seed", "42",
                         "--validation-fraction", "0.1", "--overlap", "0", "--tail", "keep"]
        // In `dir`, so that no training_config.yaml of the working directory applies.
        try runProcess("/bin/bash", ["-c", "cd \"$1\" && ulimit -d \(limit >> 10) && shift && exec \"$0\" \"$@\"",
                                     BuiltProducts.blocklab, dir.path] + arguments,
                       within: .seconds(1200))
        var options = DatasetBuilder.Options()
        options.vocabularySize = 300
        options.sequenceLength = 512
        options.threads = 2
        _ = try DatasetBuilder(options).build(inputs: [corpus], output: dir.file("free"), sha256: fakeSHA256)
        for name in files(dir.path) {
            let bounded = try Data(contentsOf: URL(fileURLWithPath: dir.file("bounded/" + name)))
            let free = try Data(contentsOf: URL(fileURLWithPath: dir.file("free/" + name)))
            #expect(bounded == free, "\(name)")
        }
    }
}
