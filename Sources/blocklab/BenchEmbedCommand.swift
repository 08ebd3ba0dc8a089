import ArgumentParser
import Embedding
import Foundation
import Torch
import Qdrant

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
struct BenchEmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Benchmark embedding against sentence-transformers and pushing against qdrant-client.")

    @Option(help: ArgumentHelp("A commits.jsonl written by `blocklab scrape`.", valueName: "file")) var input: String
    @Option(help: "Commits to embed (the first ones of the file).") var count = 2000
    @Option(help: ArgumentHelp("The model directory (default: all-MiniLM-L6-v2 from scripts/setup/embeddings.sh).", valueName: "dir"))
    var model: String?
    @Option(help: "Embedding rounds per side (median).") var rounds = 1
    @Option(help: "Push rounds per side (median).") var pushRounds = 3
    @Option(help: "Windows per encoder call, both sides.") var batchSize = 32
    @Option(help: "Python with sentence-transformers, qdrant-client and qdrant-edge-py (default: $BLOCKLAB_EMBED_PYTHON, else .venv-embed/bin/python).")
    var python: String?
    @Option(help: "The peers script.") var peers = "scripts/bench/embed_peers.py"
    @Option(help: "The Qdrant test server script.") var server = "Tests/QdrantTestSupport/qdrant_test_server.py"
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard count >= 1, rounds >= 1, pushRounds >= 1, batchSize >= 1 else {
            throw ValidationError("--count, --rounds, --push-rounds and --batch-size must be at least 1.")
        }
    }

    func run() throws {
        let python = self.python ?? ProcessInfo.processInfo.environment["BLOCKLAB_EMBED_PYTHON"] ?? ".venv-embed/bin/python"
        for (path, what) in [(python, "--python"), (peers, "--peers"), (server, "--server")] where !FileManager.default.fileExists(atPath: path) {
            throw CLIError("\(what) \(path) does not exist: run from the repository root after `bash scripts/setup/embeddings.sh`, or pass \(what)")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-embed-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let commits = Array(try CommitRecord.read(URL(fileURLWithPath: input)).prefix(count))
        let texts = commits.map(CommitText.text)
        try Torch.load()
        let sentenceModel = try SentenceModel.load(directory: model.map { URL(fileURLWithPath: $0) } ?? SentenceModel.defaultDirectory)
        try JSONSerialization.data(withJSONObject: texts).write(to: work.appendingPathComponent("texts.json"))
        log("\(texts.count) commit texts, model \(sentenceModel.name) (\(sentenceModel.dimension) dimensions), \(threads) threads")

        // Embedding: BlockLab, then the peer (each round of each side embeds every text).
        var ours: [[Float]] = []
        var ourSeconds: [Double] = []
        var windows = 0
        for round in 1...rounds {
            log("embed round \(round)/\(rounds): BlockLab...")
            let embedder = TextEmbedder(model: sentenceModel, batchSize: batchSize, threads: threads)
            ours = try embedder.embed(texts)
            ourSeconds.append(embedder.stats.seconds)
            windows = embedder.stats.windows
        }
        log("embed: sentence-transformers (\(rounds) round\(rounds == 1 ? "" : "s"))...")
        let peer = try runJSON(python, [peers, "encode", "--model", sentenceModel.directory.path, "--texts", work.appendingPathComponent("texts.json").path,
                                        "--out", work.appendingPathComponent("st.f32").path, "--batch-size", "\(batchSize)",
                                        "--threads", "\(threads)", "--repeat", "\(rounds)", "--truncating"])
        let theirs = try Data(contentsOf: work.appendingPathComponent("st.f32")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let d = sentenceModel.dimension
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
        let testServer = try TestServerProcess(python: python, script: server)
        defer { testServer.stop() }
        let client = try QdrantClient(url: testServer.url)
        var pushSeconds: [Double] = [], peerPushSeconds: [Double] = []
        for round in 1...pushRounds {
            log("push round \(round)/\(pushRounds): BlockLab, then qdrant-client...")
            let collection = "bench-blocklab-\(round)"
            try client.ensureCollection(collection, vectors: VectorParams(size: d))
            let points = zip(ids, zip(ours, payloads)).map { QdrantPoint(id: $0, vector: $1.0, payloadJSON: $1.1) }
            let start = DispatchTime.now()
            for batch in stride(from: 0, to: points.count, by: 256) {
                try client.upsert(collection: collection, points: Array(points[batch..<min(points.count, batch + 256)]))
            }
            pushSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            let result = try runJSON(python, [peers, "push", "--url", testServer.url, "--collection", "bench-qdrant-client-\(round)",
                                              "--vectors", work.appendingPathComponent("ours.f32").path, "--dimension", "\(d)",
                                              "--ids", work.appendingPathComponent("ids.json").path,
                                              "--payloads", work.appendingPathComponent("payloads.json").path, "--batch-size", "256"])
            peerPushSeconds.append(result["seconds"] as? Double ?? .nan)
        }

        func median(_ values: [Double]) -> Double { let s = values.sorted(); return s[s.count / 2] }
        let n = Double(texts.count)
        let figures: [String: Any] = [
            "embed_texts_per_s": n / median(ourSeconds),
            "st_texts_per_s": n / (peer["seconds"] as? Double ?? .nan),
            "st_truncating_texts_per_s": n / (peer["truncating_seconds"] as? Double ?? .nan),
            "push_points_per_s": n / median(pushSeconds),
            "qdrant_client_points_per_s": n / median(peerPushSeconds),
            "min_cosine_vs_st": minCosine,
            "texts": texts.count, "windows": windows, "dimension": d, "threads": threads,
            "rounds": rounds, "push_rounds": pushRounds, "batch_size": batchSize,
        ]
        report(figures)
    }

    private func report(_ figures: [String: Any]) {
        if json {
            let data = try! JSONSerialization.data(withJSONObject: figures, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        func f(_ key: String) -> String { (figures[key] as? Double).map { String(format: "%.1f", $0) } ?? "-" }
        func ratio(_ a: String, _ b: String) -> String {
            guard let x = figures[a] as? Double, let y = figures[b] as? Double, y > 0 else { return "-" }
            return String(format: "%.2fx", x / y)
        }
        print(OutputOptions.table(headers: ["measure", "BlockLab", "peer", "BlockLab / peer"], rows: [
            ["embed texts/s (vs sentence-transformers, same windows)", f("embed_texts_per_s"), f("st_texts_per_s"), ratio("embed_texts_per_s", "st_texts_per_s")],
            ["push points/s (vs qdrant-client upload_points)", f("push_points_per_s"), f("qdrant_client_points_per_s"), ratio("push_points_per_s", "qdrant_client_points_per_s")],
            ["lowest cosine vs sentence-transformers", String(format: "%.6f", figures["min_cosine_vs_st"] as? Double ?? .nan), "", ""],
        ]), terminator: "")
        print("\(figures["texts"]!) texts, \(figures["windows"]!) windows, \(figures["threads"]!) threads; sentence-transformers' plain encode() (truncating at 256 tokens): \(f("st_truncating_texts_per_s")) texts/s")
    }

    private func runJSON(_ executable: String, _ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = data.split(separator: UInt8(ascii: "\n")).last,
              let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw CLIError("the peer `\(executable) \(arguments.prefix(2).joined(separator: " "))` failed; rerun scripts/setup/embeddings.sh")
        }
        return object
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data("blocklab bench embed: \(line)\n".utf8)) }
}

/// The Qdrant test server as a child process on 127.0.0.1 and a free port.
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
            throw CLIError("the Qdrant test server \(script) did not start; rerun scripts/setup/embeddings.sh")
        }
        url = String(text.dropFirst("listening on ".count))
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
