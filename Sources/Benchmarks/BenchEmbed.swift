import ArgumentParser
import Embedding
import ExperimentStore
import Foundation
import Qdrant
import Torch

/// `blocklab bench embed`: phase 3 against its peers, in one run on one machine.
///  - embedding: the same commit texts (the documented commit text of the first `--count`
///    commits of a scrape) through BlockLab and through sentence-transformers on Debian's
///    python3-torch (the same libtorch), all cores, the same windows and batch size
///    (scripts/bench/embed_peers.py); texts/s (median of `--rounds`), and the lowest cosine
///    between the two sides' vectors;
///  - push: those vectors (384 dimensions, batches of 256, `wait=true`) into a fresh
///    collection of the Qdrant test server (Qdrant's engine behind its REST contract,
///    Tests/QdrantTestSupport/qdrant_test_server.py), by BlockLab's client and by
///    qdrant-client's `upload_points`; points/s, median of `--push-rounds`, interleaved.
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

    @Option(help: ArgumentHelp("A commits.jsonl written by `blocklab scrape`.", valueName: "file")) var input: String
    @Option(help: "Commits to embed (the first ones of the file).") var count = 2000
    @Option(help: ArgumentHelp("The model directory (default: all-MiniLM-L6-v2 from scripts/setup/embeddings.sh).", valueName: "dir"))
    var model: String?
    @Option(help: "Embedding rounds per side (median).") var rounds = 1
    @Option(help: "Push rounds per side (median).") var pushRounds = 3
    @Option(help: "Windows per encoder call, both sides.") var batchSize = 32
    @Option(help: "Python with sentence-transformers, qdrant-client and qdrant-edge-py (default: $BLOCKLAB_EMBED_PYTHON, else .venv-embed/bin/python).")
    var python: String?
    @Option(help: "The peers script (default: scripts/bench/embed_peers.py).") var peers: String?
    @Option(help: "The Qdrant test server script (default: Tests/QdrantTestSupport/qdrant_test_server.py).") var server: String?
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    public func validate() throws {
        guard count >= 1, rounds >= 1, pushRounds >= 1, batchSize >= 1 else {
            throw ValidationError("--count, --rounds, --push-rounds and --batch-size must be at least 1.")
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
        let python = try await Self.pinnedPeers.prepare(override: pythonPath, progress: progress)
        return try await withWorkDirectory("embed") { work in
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let commits = Array(try CommitRecord.read(URL(fileURLWithPath: input)).prefix(count))
            let texts = commits.map(CommitText.text)
            try Torch.load()
            let sentenceModel = try SentenceModel.load(directory: model.map { URL(fileURLWithPath: $0) } ?? SentenceModel.defaultDirectory)
            try JSONSerialization.data(withJSONObject: texts).write(to: work.appendingPathComponent("texts.json"))
            progress.say("\(texts.count) commit texts, model \(sentenceModel.name) (\(sentenceModel.dimension) dimensions), \(threads) threads")

            // Embedding: BlockLab, then the peer (each round of each side embeds every text).
            var ours: [[Float]] = []
            var ourSeconds: [Double] = []
            var windows = 0
            for round in 1...rounds {
                progress.say("embed round \(round)/\(rounds): BlockLab...")
                let embedder = TextEmbedder(model: sentenceModel, batchSize: batchSize, threads: threads)
                ours = try embedder.embed(texts)
                ourSeconds.append(embedder.stats.seconds)
                windows = embedder.stats.windows
            }
            progress.say("embed: sentence-transformers (\(rounds) round\(rounds == 1 ? "" : "s"))...")
            let peer = try await runPeer(python.path, [peers, "encode", "--model", sentenceModel.directory.path,
                                                       "--texts", work.appendingPathComponent("texts.json").path,
                                                       "--out", work.appendingPathComponent("st.f32").path, "--batch-size", "\(batchSize)",
                                                       "--threads", "\(threads)", "--repeat", "\(rounds)", "--truncating"])
            let theirs = try Data(contentsOf: work.appendingPathComponent("st.f32")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let d = sentenceModel.dimension
            guard theirs.count == ours.count * d else {
                throw BenchError("benchmark check failed: sentence-transformers wrote \(theirs.count / max(d, 1)) vectors for \(ours.count) texts")
            }
            var minCosine = Double.infinity
            for (index, vector) in ours.enumerated() {
                var dot = 0.0
                for i in 0..<d { dot += Double(vector[i]) * Double(theirs[index * d + i]) }
                minCosine = min(minCosine, dot)
            }

            // Push: the same points to fresh collections, sides interleaved round by round.
            let ids = commits.map { PointID.uuid5($0.hash) }
            let payloads = commits.map(CommitText.payload)
            try Data(ours.flatMap { $0 }.withUnsafeBufferPointer { Data(buffer: $0) }).write(to: work.appendingPathComponent("ours.f32"))
            try JSONSerialization.data(withJSONObject: ids).write(to: work.appendingPathComponent("ids.json"))
            try Data(("[" + payloads.joined(separator: ",") + "]").utf8).write(to: work.appendingPathComponent("payloads.json"))
            let testServer = try TestServerProcess(python: python.path, script: server)
            defer { testServer.stop() }
            let client = try QdrantClient(url: testServer.url)
            var pushSeconds: [Double] = [], peerPushSeconds: [Double] = []
            for round in 1...pushRounds {
                progress.say("push round \(round)/\(pushRounds): BlockLab, then qdrant-client...")
                let collection = "bench-blocklab-\(round)"
                try client.ensureCollection(collection, vectors: VectorParams(size: d))
                let points = zip(ids, zip(ours, payloads)).map { QdrantPoint(id: $0, vector: $1.0, payloadJSON: $1.1) }
                let start = BenchClock.now()
                for batch in stride(from: 0, to: points.count, by: 256) {
                    try client.upsert(collection: collection, points: Array(points[batch..<min(points.count, batch + 256)]))
                }
                pushSeconds.append(BenchClock.now() - start)
                let result = try await runPeer(python.path, [peers, "push", "--url", testServer.url, "--collection", "bench-qdrant-client-\(round)",
                                                             "--vectors", work.appendingPathComponent("ours.f32").path, "--dimension", "\(d)",
                                                             "--ids", work.appendingPathComponent("ids.json").path,
                                                             "--payloads", work.appendingPathComponent("payloads.json").path, "--batch-size", "256"])
                peerPushSeconds.append(result["seconds"]?.number ?? .nan)
            }

            let n = Double(texts.count)
            var report = BenchReport(peers: ["sentence-transformers": python.versions["sentence-transformers"],
                                             "qdrant-client": python.versions["qdrant-client"]].compactMapValues { $0 })
            report["embed_texts_per_s"] = n / median(ourSeconds)
            report["st_texts_per_s"] = n / (peer["seconds"]?.number ?? .nan)
            report["st_truncating_texts_per_s"] = n / (peer["truncating_seconds"]?.number ?? .nan)
            report["push_points_per_s"] = n / median(pushSeconds)
            report["qdrant_client_points_per_s"] = n / median(peerPushSeconds)
            report["min_cosine_vs_st"] = minCosine
            for (key, value) in ["texts": texts.count, "windows": windows, "dimension": d, "threads": threads,
                                 "rounds": rounds, "push_rounds": pushRounds, "batch_size": batchSize] {
                report.figures[key] = .int(Int64(value))
            }
            report.compare("embed texts/s (same windows)", blocklab: report["embed_texts_per_s"], peer: "sentence-transformers",
                           report["st_texts_per_s"], better: .higher, digits: 1)
            report.compare("push points/s (upload_points)", blocklab: report["push_points_per_s"], peer: "qdrant-client",
                           report["qdrant_client_points_per_s"], better: .higher, digits: 1)
            report.figure("lowest cosine vs sentence-transformers", blocklab: minCosine, digits: 6)
            report.notes.append("\(texts.count) texts, \(windows) windows, \(threads) threads; sentence-transformers' plain encode() "
                                + String(format: "(truncating at 256 tokens): %.1f texts/s", report["st_truncating_texts_per_s"] ?? .nan))
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

/// The Qdrant test server as a child process on 127.0.0.1 and a free port, for as long as
/// the benchmark runs (ChildProcess runs children to completion; this one is stopped).
private final class TestServerProcess {
    let url: String
    private let process = Process()

    init(python: String, script: String) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on ") else {
            process.terminate()
            process.waitUntilExit()
            throw BenchError("the Qdrant test server \(script) did not start; rerun scripts/setup/embeddings.sh")
        }
        url = String(text.dropFirst("listening on ".count))
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
