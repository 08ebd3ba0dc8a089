import ArgumentParser
import Foundation
import Tokenizer

/// `blocklab bench tokenizer`: BlockLab's BPE beside Hugging Face `tokenizers` (PyPI, in
/// `.venv-bench-tok/`), on one corpus of git history text in one run: training time for
/// the same vocabulary, encode throughput on one thread and on all cores (best of
/// `--repeat`, both encoding with BlockLab's trained tokenizer), and whether the ids match.
public struct BenchTokenizer: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Benchmark BPE training and encoding against Hugging Face tokenizers.")

    /// The peer's version the figures are quoted for (scripts/bench/tokenizer_hf.py).
    static let pinnedPeers = PythonPeers(venv: ".venv-bench-tok", requirements: [.init("tokenizers", "0.23.3")])

    @Option(name: .long, help: ArgumentHelp("A text corpus (e.g. `git log -p` output).", valueName: "file")) var corpus: String?
    @Option(name: .long, help: ArgumentHelp("Make the corpus from this repository's `git log -p --all`.", valueName: "dir")) var repo: String?
    @Option(name: .long, help: "Corpus size in MB when made from --repo.") var megabytes = 40
    @Option(name: .long, help: "Vocabulary size both tokenizers train to.") var vocabSize = 16_384
    @Option(name: .long, help: "Encode runs per side; the best counts.") var `repeat` = 3
    @Option(name: .long, help: "Python with `tokenizers` (default: a venv made at .venv-bench-tok).") var python: String?
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    public func validate() throws {
        guard (corpus == nil) != (repo == nil) else { throw ValidationError("pass exactly one of --corpus FILE or --repo DIR.") }
        guard `repeat` >= 1, megabytes >= 1 else { throw ValidationError("--repeat and --megabytes must be at least 1.") }
    }

    public func run() async throws {
        print(try await measure().render(output.chosen), terminator: "")
    }

    /// Runs both sides and returns the report (nothing printed on stdout).
    func measure() async throws -> BenchReport {
        let progress = BenchProgress("tokenizer")
        return try await withWorkDirectory("tokenizer") { work in
            let python = try await Self.pinnedPeers.prepare(override: self.python, progress: progress)
            var report = BenchReport(peers: ["Hugging Face tokenizers": python.versions["tokenizers"]].compactMapValues { $0 })
            let text = try await loadCorpus()
            let documents = Self.documents(text)
            let megabytes = Double(text.utf8.count) / 1e6
            let cores = ProcessInfo.processInfo.activeProcessorCount
            progress.say(String(format: "corpus: %.1f MB, %d documents, %d cores", megabytes, documents.count, cores))
            report["corpus_mb"] = megabytes
            report["documents"] = Double(documents.count)
            report["cores"] = Double(cores)

            progress.say("BlockLab: training to \(vocabSize)")
            var start = BenchClock.now()
            let tokenizer = try BPETrainer(vocabularySize: vocabSize).train(documents)
            report["train_s"] = BenchClock.now() - start
            try tokenizer.save(directory: work.appendingPathComponent("blocklab-tokenizer").path)

            var ids: [[UInt32]] = []
            var best1 = Double.infinity, bestAll = Double.infinity
            let meter = progress.meter("BlockLab: encoding on 1 and \(cores) threads", total: `repeat`, unit: "rounds")
            for round in 1...`repeat` {
                start = BenchClock.now()
                let encoder = tokenizer.makeEncoder()
                ids = documents.map { encoder.encode($0) }
                best1 = min(best1, BenchClock.now() - start)
                start = BenchClock.now()
                let batch = tokenizer.encodeBatch(documents, threads: cores)
                bestAll = min(bestAll, BenchClock.now() - start)
                guard batch == ids else { throw BenchError("benchmark check failed: threaded and single-thread encodes differ") }
                meter.update(round)
            }
            report["encode_mb_per_s_1t"] = megabytes / best1
            report["encode_mb_per_s_all"] = megabytes / bestAll
            report["tokens"] = Double(ids.reduce(0) { $0 + $1.count })

            try JSONSerialization.data(withJSONObject: documents).write(to: work.appendingPathComponent("documents.json"))
            let script = try PythonPeers.script("tokenizer_hf.py")
            progress.say("Hugging Face: training to \(vocabSize) and encoding on all cores")
            let all = try PythonPeers.result(try await ChildProcess.output(python.path, [script, work.path, "all", "\(`repeat`)", "\(vocabSize)"]),
                                             peer: "Hugging Face")
            progress.say("Hugging Face: encoding on one thread")
            let one = try PythonPeers.result(try await ChildProcess.output(python.path, [script, work.path, "one", "\(`repeat`)", "\(vocabSize)"],
                                                                           environment: ["RAYON_NUM_THREADS": "1"]),
                                             peer: "Hugging Face")
            report["hf_train_s"] = all["train_s"]?.number
            report["hf_encode_mb_per_s_all"] = all["encode_s"]?.number.map { megabytes / $0 }
            report["hf_encode_mb_per_s_1t"] = one["encode_s"]?.number.map { megabytes / $0 }

            let theirs = try Data(contentsOf: work.appendingPathComponent("hf_ids.bin"))
            let ours = ids.flatMap { $0 + [UInt32.max] }
            let identical = theirs.count == ours.count * 4 && theirs.withUnsafeBytes { raw in
                (0..<ours.count).allSatisfy { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) == ours[$0] }
            }
            report.figures["ids_identical"] = .bool(identical)

            let peer = "Hugging Face tokenizers"
            report.compare("encode MB/s, 1 thread", blocklab: report["encode_mb_per_s_1t"], peer: peer, report["hf_encode_mb_per_s_1t"], better: .higher)
            report.compare("encode MB/s, \(cores) threads", blocklab: report["encode_mb_per_s_all"], peer: peer, report["hf_encode_mb_per_s_all"], better: .higher)
            report.compare("train s, vocab \(vocabSize)", blocklab: report["train_s"], peer: peer, report["hf_train_s"], better: .lower)
            report.notes.append(String(format: "corpus %.1f MB, %d documents, %d tokens; ids identical: %@; ratio above 1 favours BlockLab",
                                       megabytes, documents.count, Int(report["tokens"] ?? 0), identical ? "yes" : "NO"))
            return report
        }
    }

    /// The corpus file, or the first `--megabytes` of `git log -p --all` cut at a line end.
    private func loadCorpus() async throws -> String {
        if let corpus {
            guard let data = FileManager.default.contents(atPath: corpus) else { throw BenchError("cannot read corpus \(corpus); check the path.") }
            return String(decoding: data, as: UTF8.self)
        }
        let limit = megabytes * 1_000_000
        var data: [UInt8] = []
        data.reserveCapacity(limit)
        // git is stopped (killed) once the corpus is long enough.
        let exit = try await ChildProcess.stream("git", ["-C", repo!, "log", "-p", "--all"]) { chunk in
            data.append(contentsOf: chunk.prefix(limit - data.count))
            return data.count < limit
        }
        guard !data.isEmpty else {
            throw BenchError("`git log -p` in \(repo!) gave no text (\(exit.standardErrorTail.suffix(300))); pass a repository with history.")
        }
        // Cut at a line end so the corpus is whole lines of text.
        var text = String(decoding: data, as: UTF8.self)
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
}
