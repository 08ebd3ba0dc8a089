import ArgumentParser
import Foundation
import Tokenizer

/// `blocklab bench tokenizer`: BlockLab's BPE beside Hugging Face `tokenizers` (PyPI, in
/// `.venv-bench-tok/`), on one corpus of git history text in one run: training time for
/// the same vocabulary, encode throughput on one thread and on all cores (best of
/// `--repeat`, both encoding with BlockLab's trained tokenizer), and whether the ids match.
struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Benchmark BPE training and encoding against Hugging Face tokenizers.")

    @Option(name: .long, help: ArgumentHelp("A text corpus (e.g. `git log -p` output).", valueName: "file")) var corpus: String?
    @Option(name: .long, help: ArgumentHelp("Make the corpus from this repository's `git log -p --all`.", valueName: "dir")) var repo: String?
    @Option(name: .long, help: "Corpus size in MB when made from --repo.") var megabytes = 40
    @Option(name: .long, help: "Vocabulary size both tokenizers train to.") var vocabSize = 16_384
    @Option(name: .long, help: "Encode runs per side; the best counts.") var `repeat` = 3
    @Option(name: .long, help: "Python with `tokenizers` (default: a venv made at .venv-bench-tok).") var python: String?
    @Flag(name: .long, help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard (corpus == nil) != (repo == nil) else { throw ValidationError("pass exactly one of --corpus FILE or --repo DIR.") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1.") }
    }

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-tok-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let text = try loadCorpus(work)
        let documents = Self.documents(text)
        let megabytes = Double(text.utf8.count) / 1e6
        let cores = ProcessInfo.processInfo.activeProcessorCount
        benchProgress(String(format: "corpus: %.1f MB, %d documents, %d cores", megabytes, documents.count, cores))
        var figures: [String: Double] = ["corpus_mb": megabytes, "documents": Double(documents.count), "cores": Double(cores)]

        benchProgress("BlockLab: training to \(vocabSize)")
        var start = Self.now()
        let tokenizer = try BPETrainer(vocabularySize: vocabSize).train(documents)
        figures["train_s"] = Self.now() - start
        let directory = work + "/blocklab-tokenizer"
        try tokenizer.save(directory: directory)

        var ids: [[UInt32]] = []
        var best1 = Double.infinity, bestAll = Double.infinity
        for _ in 0..<`repeat` {
            start = Self.now()
            let encoder = tokenizer.makeEncoder()
            ids = documents.map { encoder.encode($0) }
            best1 = min(best1, Self.now() - start)
            start = Self.now()
            let batch = tokenizer.encodeBatch(documents, threads: cores)
            bestAll = min(bestAll, Self.now() - start)
            precondition(batch == ids, "threaded and single-thread encodes differ")
        }
        figures["encode_mb_per_s_1t"] = megabytes / best1
        figures["encode_mb_per_s_all"] = megabytes / bestAll
        figures["tokens"] = Double(ids.reduce(0) { $0 + $1.count })
        benchProgress(String(format: "BlockLab: train %.2f s, encode %.1f MB/s (1 thread), %.1f MB/s (%d)", figures["train_s"]!,
                             figures["encode_mb_per_s_1t"]!, figures["encode_mb_per_s_all"]!, cores))

        let python = try self.python ?? makeVenv()
        try JSONSerialization.data(withJSONObject: documents).write(to: URL(fileURLWithPath: work + "/documents.json"))
        try Data(Self.peerScript.utf8).write(to: URL(fileURLWithPath: work + "/peer.py"))
        benchProgress("Hugging Face: training to \(vocabSize) and encoding on all cores")
        let all = try Self.runPeer(python, work, mode: "all", repeats: `repeat`, vocabSize: vocabSize, environment: [:])
        benchProgress("Hugging Face: encoding on one thread")
        let one = try Self.runPeer(python, work, mode: "one", repeats: `repeat`, vocabSize: vocabSize, environment: ["RAYON_NUM_THREADS": "1"])
        figures["hf_train_s"] = all["train_s"]
        figures["hf_encode_mb_per_s_all"] = all["encode_s"].map { megabytes / $0 }
        figures["hf_encode_mb_per_s_1t"] = one["encode_s"].map { megabytes / $0 }

        let theirs = try Data(contentsOf: URL(fileURLWithPath: work + "/hf_ids.bin"))
        let ours = ids.flatMap { $0 + [UInt32.max] }
        let identical = theirs.count == ours.count * 4 && theirs.withUnsafeBytes { raw in
            (0..<ours.count).allSatisfy { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) == ours[$0] }
        }
        report(figures, identical: identical)
    }

    private func loadCorpus(_ work: String) throws -> String {
        if let corpus {
            guard let data = FileManager.default.contents(atPath: corpus) else { throw CLIError("cannot read corpus \(corpus).") }
            return String(decoding: data, as: UTF8.self)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repo!, "log", "-p", "--all"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var data = Data()
        let limit = megabytes * 1_000_000
        while data.count < limit {
            let chunk = pipe.fileHandleForReading.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            data.append(chunk)
        }
        // git may run with SIGTERM blocked (inherited mask): close the pipe and kill it outright.
        try? pipe.fileHandleForReading.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        guard !data.isEmpty else { throw CLIError("`git log -p` in \(repo!) gave no text; pass a repository with history.") }
        // Cut at a line end so the corpus is whole lines of text.
        var text = String(decoding: data.prefix(limit), as: UTF8.self)
        if let cut = text.lastIndex(of: "\n") { text = String(text[...cut]) }
        return text
    }

    /// One document per commit: the text from one line starting with "commit " to the next.
    static func documents(_ text: String) -> [String] {
        var documents: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("commit "), !current.isEmpty { documents.append(current); current = "" }
            current += line
            current += "\n"
        }
        if !current.isEmpty { documents.append(current) }
        return documents
    }

    static func runPeer(_ python: String, _ work: String, mode: String, repeats: Int, vocabSize: Int,
                        environment: [String: String]) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [work + "/peer.py", work, mode, String(repeats), String(vocabSize)]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let figures = try? JSONSerialization.jsonObject(with: output) as? [String: Double] else {
            throw CLIError("the Hugging Face peer (\(python)) failed; check that it has `tokenizers` (pip install tokenizers).")
        }
        return figures
    }

    static let peerScript = #"""
    import json, sys, time, array
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
    work, mode, repeats, vocab_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    documents = json.load(open(work + "/documents.json"))
    out = {}
    if mode == "all":
        hf = Tokenizer(models.BPE())
        hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        hf.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
            special_tokens=["<|endoftext|>", "<|commit|>", "<|message|>", "<|author|>", "<|date|>", "<|files|>", "<|diff|>", "<|file|>", "<|code|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        start = time.perf_counter()
        hf.train_from_iterator(documents, trainer)
        out["train_s"] = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        tok = Tokenizer.from_file(work + "/blocklab-tokenizer/tokenizer.json")
        start = time.perf_counter()
        encodings = tok.encode_batch(documents)
        best = min(best, time.perf_counter() - start)
    out["encode_s"] = best
    if mode == "all":
        ids = array.array("I")
        for e in encodings:
            ids.extend(e.ids)
            ids.append(0xFFFFFFFF)
        open(work + "/hf_ids.bin", "wb").write(ids.tobytes())
    print(json.dumps(out))
    """#

    private func makeVenv() throws -> String {
        let venv = ".venv-bench-tok"
        let python = "\(venv)/bin/python"
        func works() -> Bool {
            guard FileManager.default.isExecutableFile(atPath: python) else { return false }
            let check = Process()
            check.executableURL = URL(fileURLWithPath: python)
            check.arguments = ["-c", "import tokenizers"]
            try? check.run()
            check.waitUntilExit()
            return check.terminationStatus == 0
        }
        if works() { return python }
        benchProgress("making \(venv) with tokenizers from PyPI (once)")
        for arguments in [["python3", "-m", "venv", venv], ["\(venv)/bin/pip", "install", "-q", "tokenizers"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CLIError("`\(arguments.joined(separator: " "))` failed; pass --python with a python that has tokenizers.") }
        }
        return python
    }

    private func report(_ figures: [String: Double], identical: Bool) {
        if json {
            var object: [String: Any] = figures
            object["ids_identical"] = identical
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        func f(_ key: String) -> String { figures[key].map { String(format: "%.2f", $0) } ?? "-" }
        func ratio(_ a: String, _ b: String) -> String {
            guard let x = figures[a], let y = figures[b], y > 0 else { return "-" }
            return String(format: "%.2fx", x / y)
        }
        print(OutputOptions.table(headers: ["measure", "BlockLab", "Hugging Face", "BlockLab / HF"], rows: [
            ["encode MB/s, 1 thread", f("encode_mb_per_s_1t"), f("hf_encode_mb_per_s_1t"), ratio("encode_mb_per_s_1t", "hf_encode_mb_per_s_1t")],
            ["encode MB/s, \(Int(figures["cores"] ?? 0)) threads", f("encode_mb_per_s_all"), f("hf_encode_mb_per_s_all"), ratio("encode_mb_per_s_all", "hf_encode_mb_per_s_all")],
            ["train s, vocab \(vocabSize)", f("train_s"), f("hf_train_s"), ratio("train_s", "hf_train_s")],
            ["ids identical", identical ? "yes" : "NO", "", ""],
        ]), terminator: "")
        print(String(format: "corpus %.1f MB, %d documents, %d tokens", figures["corpus_mb"] ?? 0, Int(figures["documents"] ?? 0), Int(figures["tokens"] ?? 0)))
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

func benchProgress(_ line: String) {
    FileHandle.standardError.write(Data("blocklab bench tokenizer: \(line)\n".utf8))
}
