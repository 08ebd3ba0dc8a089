import Foundation
import class TestSupport.TestChild
import Testing
@testable import Tokenizer
import TrainingPlan

/// Identity with Hugging Face `tokenizers`: the same ids for a tokenizer BlockLab trained
/// (loaded by `Tokenizer.from_file` and by `transformers`' `GPT2TokenizerFast`) and for one
/// Hugging Face trained (loaded by BlockLab).
/// Needs BLOCKLAB_TOKENIZERS_PYTHON (a python with `tokenizers` and `transformers`; scripts/setup/tokenizer.sh
/// prints it) and fails when it is unset.
@Suite(.tags(.huggingFace)) struct HuggingFaceIdentityTests {
    static let script = #"""
    import json, sys
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
    job = json.load(open(sys.argv[1]))
    if job["mode"] == "train":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=job["vocab_size"], special_tokens=job["specials"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(job["corpus"], trainer)
        tok.save(job["dir"] + "/tokenizer.json")
        import os
        os.makedirs(job["dir"] + "/gpt2-files")
        tok.model.save(job["dir"] + "/gpt2-files")  # GPT-2's pair: vocab.json and merges.txt
    else:
        tok = Tokenizer.from_file(job["dir"] + "/tokenizer.json")
    ids = [e.ids for e in tok.encode_batch(job["texts"])]
    decoded = [tok.decode(i, skip_special_tokens=False) for i in ids]
    from transformers import GPT2TokenizerFast
    fast = GPT2TokenizerFast.from_pretrained(job["dir"])
    fast_ids = [fast(t)["input_ids"] for t in job["texts"]]
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    pieces = [[p for p, _ in byte_level.pre_tokenize_str(t)] for t in job.get("pretokenize", [])]
    json.dump({"ids": ids, "decoded": decoded, "fast_ids": fast_ids, "eos": fast.eos_token_id, "pieces": pieces},
              open(sys.argv[2], "w"))
    """#

    struct Answer: Decodable { var ids: [[Int]]; var decoded: [String]; var fast_ids: [[Int]]; var eos: Int?; var pieces: [[String]] }

    /// Texts that stress the pre-tokenizer: the fixture corpus and random mixes of scripts,
    /// digits, marks, emoji, symbols and every kind of whitespace.
    static let texts: [String] = {
        let pool: [Unicode.Scalar] = Array("abcXYZ019 '\n\t\r-_=<|>{}();.,/\\\"$#@!".unicodeScalars)
            + [0xA0, 0x1680, 0x2000, 0x2007, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x85, 0x0B, 0x0C,
               0x180E, 0x200B, 0xFEFF, 0xE9, 0x301, 0x308, 0x3A9, 0x416, 0x5D0, 0x627, 0x663, 0x966, 0x2165, 0xBD,
               0x4E2D, 0x65E5, 0x3042, 0x30C6, 0xAC00, 0x1F600, 0x1F44D, 0x1F3FD, 0x1D400, 0x10400, 0x2211, 0x2248,
               0x20AC, 0xFF10, 0xFF21, 0x2070, 0x00B2, 0x02B0, 0x01C5, 0x16EE]
                .compactMap { Unicode.Scalar(UInt32($0)) }
        var generator = SeededGenerator(seed: 5)
        var random: [String] = []
        for _ in 0..<200 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int(generator.next() % 40) { text.append(pool[Int(generator.next() % UInt64(pool.count))]) }
            random.append(String(text))
        }
        return fixtureCorpus + random + ["<|endoftext|>", "a<|endoftext|>b<|commit|>c<|endoftext|", ""]
    }()

    /// Every code point from U+0080 to U+323FF and U+E0000 to U+E01FF (surrogates excepted), each followed by a
    /// letter, digit, space or symbol, so any class that differs from Hugging Face's moves a split.
    static let unicodeSweep: [String] = {
        let fillers: [String] = ["a", "1", " ", "x", "  ", "\n", "-", "Z9"]
        var texts: [String] = []
        var current = ""
        var count = 0
        for value in Array(UInt32(0x80)..<0x32400) + Array(0xE0000..<0xE0200) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            current.unicodeScalars.append(scalar)
            current += fillers[Int(value) % fillers.count]
            count += 1
            if count == 4000 { texts.append(current); current = ""; count = 0 }
        }
        texts.append(current)
        return texts
    }()

    @Test func preTokenizationMatchesOnEveryCodePoint() throws {
        let texts = Self.texts + Self.unicodeSweep
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try BPETrainer(vocabularySize: 300).train(fixtureCorpus).save(directory: directory)
        let answer = try runPython(["mode": "encode", "dir": directory, "texts": [String](), "pretokenize": texts])
        for (index, text) in texts.enumerated() {
            let ours = PreTokenizer.split(Array(text.utf8)).map { ByteLevel.encode($0) }
            if ours != answer.pieces[index] {
                let k = zip(ours, answer.pieces[index]).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, answer.pieces[index].count)
                Issue.record("text \(index): piece \(k) is \(ours.dropFirst(k).prefix(3)) here, \(answer.pieces[index].dropFirst(k).prefix(3)) in Hugging Face")
            }
        }
    }

    func runPython(_ job: [String: Any]) throws -> Answer {
        guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_TOKENIZERS_PYTHON"], !python.isEmpty else {
            Issue.record("BLOCKLAB_TOKENIZERS_PYTHON is unset: run `eval \"$(scripts/setup/tokenizer.sh)\"` first")
            throw TokenizerError("no python")
        }
        let directory = try makeTemporaryDirectory("py")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: directory + "/peer.py"))
        try JSONSerialization.data(withJSONObject: job).write(to: URL(fileURLWithPath: directory + "/job.json"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [directory + "/peer.py", directory + "/job.json", directory + "/answer.json"]
        let result = try TestChild(process).finish()
        try #require(result.status == 0, "the Hugging Face peer script failed: \(result.stderr)")
        return try JSONDecoder().decode(Answer.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/answer.json")))
    }

    @Test func blocklabTrainedTokenizerGivesHuggingFaceIDs() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokenizer = try BPETrainer(vocabularySize: 700).train(fixtureCorpus + Array(Self.texts.suffix(100)))
        try tokenizer.save(directory: directory)
        let answer = try runPython(["mode": "encode", "dir": directory, "texts": Self.texts])
        let ours = tokenizer.encodeBatch(Self.texts, threads: 2).map { $0.map { Int($0) } }
        for (index, text) in Self.texts.enumerated() {
            #expect(ours[index] == answer.ids[index], "text \(index): \(text.debugDescription)")
            #expect(ours[index] == answer.fast_ids[index], "GPT2TokenizerFast, text \(index): \(text.debugDescription)")
        }
        #expect(answer.eos == tokenizer.endOfTextID)
        for (index, ids) in ours.enumerated() {
            #expect(try tokenizer.decode(ids) == answer.decoded[index])
        }
    }

    @Test func huggingFaceTrainedTokenizerGivesTheSameIDsInBlockLab() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let answer = try runPython(["mode": "train", "dir": directory, "texts": Self.texts, "vocab_size": 600,
                                    "specials": ["<|endoftext|>", "<|commit|>"],
                                    "corpus": fixtureCorpus + Array(Self.texts.suffix(100))])
        let tokenizer = try BPETokenizer.load(directory: directory)
        #expect(tokenizer.id(of: "<|endoftext|>") == 0)
        for (index, text) in Self.texts.enumerated() {
            #expect(tokenizer.encode(text) == answer.ids[index], "text \(index): \(text.debugDescription)")
        }
        // The same model as GPT-2's two files (no tokenizer.json): only <|endoftext|> is
        // special there, so texts with other markers are left out.
        let pair = try BPETokenizer.load(directory: directory + "/gpt2-files")
        #expect(pair.addedTokens.map(\.content) == ["<|endoftext|>"])
        for (index, text) in Self.texts.enumerated() where !text.contains("<|commit|>") {
            #expect(pair.encode(text) == answer.ids[index], "vocab.json + merges.txt, text \(index)")
        }
    }
}
