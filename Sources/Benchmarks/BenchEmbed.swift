import ArgumentParser
import Embedding
import ExperimentStore
import Foundation
import Qdrant
import Torch

/// `blocklab bench embed`: phase 3 against its peers, in one run on one machine.
///  - embedding: the same commit texts (the documented commit text of the first `--count`
///    commits of a scrape, 2,000 by default) through BlockLab and through sentence-transformers
///    on Debian's python3-torch (the same libtorch), all cores on both sides, the same windows
///    and batch size (scripts/bench/embed_peers.py, mode serve). The texts are cut into
///    `--chunks` chunks and the sides take turns chunk by chunk (who goes first alternates),
///    so a machine whose load swings during the minutes this takes slows both alike; each
///    side's time is the sum over the chunks (model loading and one warm-up call excluded).
///    texts/s (median of `--rounds`), and the lowest cosine between the two sides' vectors,
///    which must be at least 0.999;
///  - push: those vectors (384 dimensions, batches of 256, `wait=true`) into a fresh
///    collection of the Qdrant test server (Qdrant's engine behind its REST contract,
///    Tests/QdrantTestSupport/qdrant_test_server.py), by BlockLab's client and by
///    qdrant-client's `upload_points`; points/s, median of `--push-rounds`, interleaved.
/// Long texts: sentence-transformers' own `encode()` cuts a text at 256 tokens and drops the
/// rest; BlockLab embeds every window (`TextWindows`). Both sides here do BlockLab's windows;
/// `--truncating` also times plain `encode()` on the same chunks (less work where texts are long).
public struct BenchEmbed: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Benchmark embedding against sentence-transformers and pushing against qdrant-client.")

    /// The peers' versions the figures are quoted for, as scripts/setup/embeddings.sh pins them
    /// in .venv-embed (over Debian's python3-torch, whose metadata reports this version).
    static let pinnedPeers = PythonPeers(
        venv: nil,
        requirements: [.init("sentence-transformers", "2.7.0"), .init("qdrant-client", "1.20.0"),
                       .init("qdrant-edge-py", "0.9.0"), .init("torch", "1.13.0a0+gitunknown")],
        installHint: "Run `bash scripts/setup/embeddings.sh` and pass the Python it prints (BLOCKLAB_EMBED_PYTHON).")

    @Option(help: ArgumentHelp("A commits.jsonl written by `blocklab scrape` (docs/embeddings.md: pallets/click).", valueName: "file"))
    var input = "out/scrape/commits.jsonl"
    @Option(help: "Commits to embed (the first ones of the file).") var count = 2000
    @Option(help: "Chunks the texts are cut into; the two sides take turns chunk by chunk.") var chunks = 8
    @Flag(help: "Also time sentence-transformers' plain encode(), which truncates long texts.") var truncating = false
    @Option(help: ArgumentHelp("The model directory (default: all-MiniLM-L6-v2 from scripts/setup/embeddings.sh).", valueName: "dir"))
    var model: String?
    @Option(help: "Embedding rounds per side (median).") var rounds = 1
    @Option(help: "Push rounds per side (median; who goes first alternates).") var pushRounds = 5
    @Option(help: "Windows per encoder call, both sides.") var batchSize = 32
    @Option(help: "Python with sentence-transformers, qdrant-client and qdrant-edge-py (default: $BLOCKLAB_EMBED_PYTHON, else .venv-embed/bin/python).")
    var python: String?
    @Option(help: "The peers script (default: scripts/bench/embed_peers.py).") var peers: String?
    @Option(help: "The Qdrant test server script (default: Tests/QdrantTestSupport/qdrant_test_server.py).") var server: String?
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    public func validate() throws {
        guard count >= 1, rounds >= 1, pushRounds >= 1, batchSize >= 1, chunks >= 1 else {
            throw ValidationError("--count, --rounds, --push-rounds, --batch-size and --chunks must be at least 1.")
        }
    }

    public func run() async throws {
        print(try await measure().render(output.chosen), terminator: "")
    }

    /// Runs both sides of both measures and returns the report (nothing printed on stdout).
    func measure() async throws -> BenchReport {
        let progress = BenchProgress("embed")
        let pythonPath = python ?? ProcessInfo.processInfo.environment["BLOCKLAB_EMBED_PYTHON"] ?? ".venv-embed/bin/python"
        let peers = try self.peers ?? PythonPeers.script("embed_peers.py")
        let server = self.server ?? Self.serverScript()
        for (path, what) in [(pythonPath, "--python"), (peers, "--peers"), (server, "--server")] where !FileManager.default.fileExists(atPath: path) {
            throw BenchError("\(what) \(path) does not exist: run from the repository root after `bash scripts/setup/embeddings.sh`, or pass \(what)")
        }
        guard FileManager.default.fileExists(atPath: input) else {
            throw BenchError("no commits file at \(input): scrape a repository first (`blocklab scrape --repo PATH --out out/scrape`; docs/embeddings.md uses pallets/click), or pass --input FILE")
        }
        let python = try await Self.pinnedPeers.prepare(override: pythonPath, progress: progress)
        return try await withWorkDirectory("embed") { work in
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let commits = Array(try CommitRecord.read(URL(fileURLWithPath: input)).prefix(count))
            guard !commits.isEmpty else { throw BenchError("\(input) holds no commits: scrape a repository with history") }
            let texts = commits.map(CommitText.text)
            try Torch.load()
            let sentenceModel = try SentenceModel.load(directory: model.map { URL(fileURLWithPath: $0) } ?? SentenceModel.defaultDirectory)
            let d = sentenceModel.dimension
            let parts = (0..<min(chunks, texts.count)).map { c in
                (c * texts.count / min(chunks, texts.count))..<((c + 1) * texts.count / min(chunks, texts.count))
            }
            for (c, range) in parts.enumerated() {
                try JSONSerialization.data(withJSONObject: Array(texts[range])).write(to: work.appendingPathComponent("texts-\(c).json"))
            }
            try JSONSerialization.data(withJSONObject: Array(texts.prefix(4))).write(to: work.appendingPathComponent("warm-up.json"))
            progress.say("\(texts.count) commit texts\(commits.count < count ? " (all the file has)" : ""), model \(sentenceModel.name) "
                         + "(\(d) dimensions), \(threads) threads, \(parts.count) chunks; loading sentence-transformers...")
            let peer = try LineChild(python.path, [peers, "serve", "--model", sentenceModel.directory.path,
                                                    "--batch-size", "\(batchSize)", "--threads", "\(threads)"])
            defer { peer.stop() }
            func ask(_ request: [String: Any]) throws -> [String: JSONValue] {
                try peer.send(String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self))
                return try peer.answer()
            }
            _ = try peer.answer()  // {"ready": ...}: the model is loaded
            let embedder = { TextEmbedder(model: sentenceModel, batchSize: batchSize, threads: threads) }
            _ = try embedder().embed(Array(texts.prefix(4)))  // warm-up, both sides, untimed
            _ = try ask(["texts": work.appendingPathComponent("warm-up.json").path, "out": work.appendingPathComponent("warm-up.f32").path])

            // Embedding: the sides take turns chunk by chunk; every round embeds every text on both.
            var ours = [[Float]](repeating: [], count: texts.count)
            var theirs = [Float](repeating: .nan, count: texts.count * d)
            var ourSeconds: [Double] = [], theirSeconds: [Double] = []
            var windows = 0, longTexts = 0, theirWindows = 0
            let clock = BenchClock.now()
            for round in 1...rounds {
                var mine = 0.0, peerTime = 0.0, done = 0
                windows = 0; longTexts = 0; theirWindows = 0
                for (c, range) in parts.enumerated() {
                    let out = work.appendingPathComponent("st-\(c).f32")
                    func blocklab() throws {
                        let e = embedder()
                        let vectors = try e.embed(Array(texts[range]))
                        mine += e.stats.seconds
                        windows += e.stats.windows
                        longTexts += e.stats.longTexts
                        for (offset, vector) in vectors.enumerated() { ours[range.lowerBound + offset] = vector }
                    }
                    func sentenceTransformers() throws {
                        let answer = try ask(["texts": work.appendingPathComponent("texts-\(c).json").path, "out": out.path])
                        peerTime += answer["seconds"]?.number ?? .nan
                        theirWindows += Int(answer["windows"]?.number ?? 0)
                        let floats = try Data(contentsOf: out).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                        guard floats.count == range.count * d else {
                            throw BenchError("benchmark check failed: sentence-transformers wrote \(floats.count / max(d, 1)) vectors for \(range.count) texts")
                        }
                        theirs.replaceSubrange((range.lowerBound * d)..<(range.upperBound * d), with: floats)
                    }
                    if c % 2 == 0 { try blocklab(); try sentenceTransformers() } else { try sentenceTransformers(); try blocklab() }
                    done += range.count
                    let elapsed = BenchClock.now() - clock
                    let total = Double(rounds * texts.count), finished = Double((round - 1) * texts.count + done)
                    progress.say(String(format: "embed round %d/%d, chunk %d/%d: BlockLab %.1f texts/s, sentence-transformers %.1f texts/s (about %.0f s of embedding left)",
                                        round, rounds, c + 1, parts.count, Double(done) / mine, Double(done) / peerTime,
                                        elapsed / finished * (total - finished)))
                }
                ourSeconds.append(mine)
                theirSeconds.append(peerTime)
            }
            guard theirWindows == windows else {
                throw BenchError("benchmark check failed: sentence-transformers embedded \(theirWindows) windows, BlockLab \(windows): the two tokenizers disagree")
            }
            var truncatingSeconds = Double.nan
            if truncating {
                truncatingSeconds = 0
                for c in parts.indices {
                    progress.say("sentence-transformers' plain encode(), chunk \(c + 1)/\(parts.count)...")
                    let answer = try ask(["texts": work.appendingPathComponent("texts-\(c).json").path,
                                          "out": work.appendingPathComponent("truncated.f32").path, "truncating": true])
                    truncatingSeconds += answer["seconds"]?.number ?? .nan
                }
            }
            peer.stop()
            var minCosine = Double.infinity
            for (index, vector) in ours.enumerated() {
                var dot = 0.0
                for i in 0..<d { dot += Double(vector[i]) * Double(theirs[index * d + i]) }
                minCosine = min(minCosine, dot)
            }
            guard minCosine >= 0.999 else {
                throw BenchError("benchmark check failed: the lowest cosine between BlockLab's and sentence-transformers' vectors is \(minCosine), below 0.999")
            }

            // Push: the same points to fresh collections, sides interleaved round by round.
            let ids = commits.map { PointID.uuid5($0.hash) }
            let payloads = commits.map(CommitText.payload)
            try Data(ours.flatMap { $0 }.withUnsafeBufferPointer { Data(buffer: $0) }).write(to: work.appendingPathComponent("ours.f32"))
            try JSONSerialization.data(withJSONObject: ids).write(to: work.appendingPathComponent("ids.json"))
            try Data(("[" + payloads.joined(separator: ",") + "]").utf8).write(to: work.appendingPathComponent("payloads.json"))
            let testServer = try LineChild(python.path, [server])
            defer { testServer.stop() }
            guard let first = testServer.line(), first.hasPrefix("listening on ") else {
                throw BenchError("the Qdrant test server \(server) did not start; rerun scripts/setup/embeddings.sh")
            }
            let serverURL = String(first.dropFirst("listening on ".count))
            let client = try QdrantClient(url: serverURL)
            var pushSeconds: [Double] = [], peerPushSeconds: [Double] = []
            let points = zip(ids, zip(ours, payloads)).map { QdrantPoint(id: $0, vector: $1.0, payloadJSON: $1.1) }
            for round in 1...pushRounds {
                func blocklab() throws {
                    let collection = "bench-blocklab-\(round)"
                    try client.ensureCollection(collection, vectors: VectorParams(size: d))
                    let start = BenchClock.now()
                    for batch in stride(from: 0, to: points.count, by: 256) {
                        try client.upsert(collection: collection, points: Array(points[batch..<min(points.count, batch + 256)]))
                    }
                    pushSeconds.append(BenchClock.now() - start)
                }
                func qdrantClient() async throws {
                    let result = try await runPeer(python.path, [peers, "push", "--url", serverURL, "--collection", "bench-qdrant-client-\(round)",
                                                                 "--vectors", work.appendingPathComponent("ours.f32").path, "--dimension", "\(d)",
                                                                 "--ids", work.appendingPathComponent("ids.json").path,
                                                                 "--payloads", work.appendingPathComponent("payloads.json").path, "--batch-size", "256"])
                    peerPushSeconds.append(result["seconds"]?.number ?? .nan)
                }
                // Who goes first alternates, as for the embedding chunks.
                if round % 2 == 1 { try blocklab(); try await qdrantClient() } else { try await qdrantClient(); try blocklab() }
                progress.say(String(format: "push round %d/%d: BlockLab %.1f points/s, qdrant-client %.1f points/s", round, pushRounds,
                                    Double(points.count) / pushSeconds.last!, Double(points.count) / peerPushSeconds.last!))
            }

            let n = Double(texts.count)
            var report = BenchReport(peers: ["sentence-transformers": python.versions["sentence-transformers"],
                                             "qdrant-client": python.versions["qdrant-client"]].compactMapValues { $0 })
            report["embed_texts_per_s"] = n / median(ourSeconds)
            report["st_texts_per_s"] = n / median(theirSeconds)
            if truncating { report["st_truncating_texts_per_s"] = n / truncatingSeconds }
            report["push_points_per_s"] = n / median(pushSeconds)
            report["qdrant_client_points_per_s"] = n / median(peerPushSeconds)
            report["min_cosine_vs_st"] = minCosine
            for (key, value) in ["texts": texts.count, "windows": windows, "long_texts": longTexts, "dimension": d,
                                 "threads": threads, "rounds": rounds, "chunks": parts.count, "push_rounds": pushRounds,
                                 "batch_size": batchSize] {
                report.figures[key] = .int(Int64(value))
            }
            report.compare("embed texts/s (same windows)", blocklab: report["embed_texts_per_s"], peer: "sentence-transformers",
                           report["st_texts_per_s"], better: .higher, digits: 1)
            report.compare("push points/s (upload_points)", blocklab: report["push_points_per_s"], peer: "qdrant-client",
                           report["qdrant_client_points_per_s"], better: .higher, digits: 1)
            report.figure("lowest cosine vs sentence-transformers", blocklab: minCosine, digits: 6)
            let limit = sentenceModel.maxSequenceLength
            report.notes.append("\(texts.count) texts in \(parts.count) chunks taken in turns, \(windows) windows (\(longTexts) of the texts longer than "
                                + "\(limit) tokens), \(threads) threads, batches of \(batchSize) windows on both sides")
            report.notes.append("long texts: sentence-transformers' encode() keeps a text's first \(limit) tokens and drops the rest; "
                                + "both sides above embed every window and average them (docs/embeddings.md)"
                                + (truncating ? String(format: "; plain encode(): %.1f texts/s", report["st_truncating_texts_per_s"] ?? .nan) : ""))
            report.notes.append("peers on torch \(python.versions["torch"] ?? "unknown") (Debian's python3-torch, the libtorch BlockLab loads); "
                                + "ratio above 1 favours BlockLab")
            return report
        }
    }

    /// Runs one mode of the peers script (its progress passed to our stderr) and returns its JSON result.
    private func runPeer(_ python: String, _ arguments: [String]) async throws -> [String: JSONValue] {
        do {
            return try PythonPeers.result(try await ChildProcess.output(python, arguments, passStandardError: true), peer: "embed")
        } catch {
            throw BenchError("\(error); rerun scripts/setup/embeddings.sh")
        }
    }

    /// Tests/QdrantTestSupport/qdrant_test_server.py: under the current directory when run from
    /// a BlockLab checkout, else beside the sources this binary was built from.
    static func serverScript() -> String {
        let relative = "Tests/QdrantTestSupport/qdrant_test_server.py"
        if FileManager.default.fileExists(atPath: relative) { return relative }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../\(relative)").standardized.path
    }
}

/// A Python child kept running while the benchmark needs it and spoken to in lines (its
/// stderr passes through to ours): the Qdrant test server, whose first line names its URL,
/// and the sentence-transformers peer, one JSON request per line in and one JSON answer per
/// line out. ChildProcess runs children to completion; these are stopped.
private final class LineChild {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered = Data()

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// The next line the child writes, without its newline; nil once it has closed stdout.
    func line() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                buffered = Data(buffered[(newline + 1)...])
                return line
            }
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { return nil }
            buffered.append(more)
        }
    }

    func send(_ line: String) throws {
        guard process.isRunning else { throw BenchError("the sentence-transformers peer has stopped (its error is above); rerun scripts/setup/embeddings.sh") }
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// The next JSON object line (other lines on stdout are skipped).
    func answer() throws -> [String: JSONValue] {
        while let line = line() {
            guard line.hasPrefix("{") else { continue }
            return try PythonPeers.result(line, peer: "embed")
        }
        throw BenchError("the sentence-transformers peer stopped without answering (its error is above); rerun scripts/setup/embeddings.sh")
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
