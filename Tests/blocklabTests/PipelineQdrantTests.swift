import Foundation
import TestSupport
import QdrantTestSupport
import Testing

/// `blocklab pipeline --qdrant-url --qdrant-collection` as a user runs it: a repository made
/// by git in the test, the real default sentence model (BLOCKLAB_EMBED_MODEL), a real Qdrant
/// test server. The embed and push phases are recorded, the manifest has the embeddings and
/// the push, the points are in the server, and a second run on unchanged inputs sends none.
@Suite(.serialized) struct PipelineQdrantTests {
    static let commits = 12
    static let shrink = ["--set", "tokenizer.vocab_size=300", "--set", "dataset.sequence_length=33", "--set", "model.n_positions=32",
                         "--set", "training.max_steps=2", "--set", "training.threads=2", "--set", "embeddings.batch_size=8",
                         "--phases", "analyse,scrape,tokenize,embed,train,push"]

    /// The environment that points BlockLab's default model directory at BLOCKLAB_EMBED_MODEL.
    static func modelEnvironment() throws -> [String: String] {
        guard let model = ProcessInfo.processInfo.environment["BLOCKLAB_EMBED_MODEL"], !model.isEmpty else {
            throw TestSetupError("BLOCKLAB_EMBED_MODEL is unset: run scripts/setup/embeddings.sh (scripts/test.sh does)")
        }
        // BLOCKLAB_EMBED_MODEL is $XDG_CACHE_HOME/blocklab/models/all-MiniLM-L6-v2.
        return ["XDG_CACHE_HOME": URL(fileURLWithPath: model).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path]
    }

    private func query(_ store: String, _ sql: String) throws -> [String] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\r\n").dropFirst().map(String.init)
    }

    /// curl's output for `arguments` (`-sf`: a failed request gives empty output).
    @discardableResult
    private func curl(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sf"] + arguments
        return Data(try ChildOutput.collect(process).stdout.utf8)
    }

    /// Qdrant's own count of the collection's points (its REST API); nil when it has no such collection.
    private func pointsCount(_ server: QdrantTestServer, _ collection: String) throws -> Int? {
        let data = try curl(["-X", "POST", "-H", "content-type: application/json", "-d", "{\"exact\": true}",
                             "\(server.url)/collections/\(collection)/points/count"])
        let body = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (body?["result"] as? [String: Any])?["count"] as? Int
    }

    @Test(.tags(.server)) func embeddingsArePushedAndASecondRunSendsNone() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: Self.commits)
        let env = try Self.modelEnvironment()
        let server = try QdrantTestServer()
        defer { server.stop() }
        let arguments = ["pipeline", "--repo", repo, "--config", PipelineCommandTests.config, "--profile", "quick", "--store", store,
                         "--name", "q", "--qdrant-url", server.url, "--qdrant-collection", "commits", "--format", "json"] + Self.shrink

        let first = try CLI.run(arguments, environment: env, directory: dir.path)
        try #require(first.status == 0, "\(first.stderr)")
        #expect(try query(store, "SELECT name, status FROM phases WHERE run_id = 1 ORDER BY id")
                == ["analyse,finished", "scrape,finished", "tokenize,finished", "embed,finished", "train,finished", "push,finished"])
        #expect(try query(store, "SELECT json_extract(stats_json, '$.sent') || ':' || json_extract(stats_json, '$.created_collection') FROM phases WHERE run_id = 1 AND name = 'push'")
                == ["\(Self.commits):1"])
        #expect(try pointsCount(server, "commits") == Self.commits, "the points are in Qdrant")

        let summary = try #require(try CLI.json(first.stdout) as? [String: Any])
        let manifestPath = try #require(summary["manifest"] as? String)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
        let embeddings = try #require(manifest["embeddings"] as? [String: Any], "\(manifest.keys.sorted())")
        #expect(embeddings["model"] as? String == "all-MiniLM-L6-v2")
        #expect(embeddings["dimension"] as? Int == 384 && embeddings["count"] as? Int == Self.commits)
        let pushes = try #require(embeddings["qdrant_pushes"] as? [[String: Any]], "\(embeddings)")
        #expect(pushes.count == 1 && pushes.first?["collection"] as? String == "commits" && pushes.first?["points"] as? Int == Self.commits)
        #expect((manifest["phase_results"] as? [String: Any]).flatMap { $0["phase_3_embeddings"] as? [String: Any] }?["status"] as? String == "finished")
        #expect(try ManifestSchema.errors(manifestPath) == [])

        // Unchanged inputs: embed is reused, and the push carries the ledger and sends nothing.
        try server.reset()
        let second = try CLI.run(arguments, environment: env, directory: dir.path)
        try #require(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("embed: reusing the outputs of run 1"), "\(second.stderr)")
        #expect(try query(store, "SELECT name || ':' || COALESCE(json_extract(stats_json, '$.reused_from_run'), '-') FROM phases WHERE run_id = 2 ORDER BY id")
                == ["analyse:-", "scrape:1", "tokenize:1", "embed:1", "train:1", "push:-"])
        #expect(try query(store, "SELECT json_extract(stats_json, '$.sent') || ':' || json_extract(stats_json, '$.skipped') || ':' || json_extract(stats_json, '$.ledger_from_run') FROM phases WHERE run_id = 2 AND name = 'push'")
                == ["0:\(Self.commits):1"])
        #expect(try server.requests().allSatisfy { $0.points == nil }, "the second run uploads no point")
        #expect(try pointsCount(server, "commits") == Self.commits)
        let again = try #require(try CLI.json(second.stdout) as? [String: Any])
        let secondManifest = try #require(again["manifest"] as? String)
        let secondEmbeddings = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: secondManifest))) as? [String: Any])?["embeddings"] as? [String: Any])
        #expect(secondEmbeddings["count"] as? Int == Self.commits && (secondEmbeddings["qdrant_pushes"] as? [Any])?.count == 1)

        // The collection dropped on the server: the carried ledger is forgotten, every point sent again.
        try curl(["-X", "DELETE", "\(server.url)/collections/commits"])
        #expect(try pointsCount(server, "commits") == nil)
        let third = try CLI.run(arguments, environment: env, directory: dir.path)
        try #require(third.status == 0, "\(third.stderr)")
        #expect(try query(store, "SELECT json_extract(stats_json, '$.sent') || ':' || json_extract(stats_json, '$.created_collection') FROM phases WHERE run_id = 3 AND name = 'push'")
                == ["\(Self.commits):1"])
        #expect(try pointsCount(server, "commits") == Self.commits)
    }
}
