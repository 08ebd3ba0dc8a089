import Foundation
import TestSupport
import GRDB
import HardwareMonitor
import Testing
@testable import ExperimentStore

@Suite struct ConfigAndQueryTests {
    static let yaml = """
        training:
          base_learning_rate: 5e-5
          batch_size: 8
          use_amp: false
        qdrant:
          url: http://localhost:6333
          api_key: sk-very-secret
          auth_token: |
            multi-line
            secret
        tags: [a, b]
        """
    static let resolved = """
        {"training": {"base_learning_rate": 5e-05, "batch_size": 8, "use_amp": false},
         "qdrant": {"url": "http://localhost:6333", "api_key": "sk-very-secret", "auth_token": "multi-line\\nsecret", "password": null},
         "tags": ["a", "b"]}
        """

    @Test func secretsNeverReachTheStoreAndEveryKeyIsFlattened() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "cfg", config: ConfigSnapshot(yaml: Self.yaml, resolvedJSON: json(Self.resolved))))
        try run.finish()
        let params = try store.params(runID: run.id)
        #expect(params == [
            Param(key: "qdrant.api_key", value: "[REDACTED]", type: "string"),
            Param(key: "qdrant.auth_token", value: "[REDACTED]", type: "string"),
            Param(key: "qdrant.password", value: nil, type: "null"),
            Param(key: "qdrant.url", value: "http://localhost:6333", type: "string"),
            Param(key: "tags", value: "[\"a\",\"b\"]", type: "array"),
            Param(key: "training.base_learning_rate", value: "5e-05", type: "number"),
            Param(key: "training.batch_size", value: "8", type: "number"),
            Param(key: "training.use_amp", value: "false", type: "bool"),
        ])
        let snapshot = try #require(try store.configSnapshot(runID: run.id))
        let everything = try Data(contentsOf: URL(fileURLWithPath: dir.file("s.db")))
            + ((try? Data(contentsOf: URL(fileURLWithPath: dir.file("s.db-wal")))) ?? Data())
        for secret in ["sk-very-secret", "multi-line", "secret\n"] {
            #expect(!snapshot.resolvedJSON.contains(secret))
            #expect(!(snapshot.yaml ?? "").contains(secret))
            #expect(everything.range(of: Data(secret.utf8)) == nil, "\(secret) reached the file")
        }
        #expect(snapshot.yaml?.contains("base_learning_rate: 5e-5") == true)
        #expect(snapshot.yaml?.contains("api_key: \"[REDACTED]\"") == true)
        #expect(snapshot.sha256.count == 64)
    }

    @Test func secretKeysAreRecognisedWithoutHidingTokenCounts() {
        for key in ["api_key", "qdrant.API_KEY", "openaiApiKey", "auth_token", "authToken", "hf-token", "token",
                    "db_password", "client_secret", "aws_credentials"] {
            #expect(ConfigSnapshot.isSecretKey(key), "\(key)")
        }
        for key in ["target_tokens", "max_tokens", "tokenizer_path", "min_epochs", "keyboard", "vocab_size"] {
            #expect(!ConfigSnapshot.isSecretKey(key), "\(key)")
        }
    }

    @Test func runReferencesResolve() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let a = try store.startRun(RunSpec(name: "alpha", uuid: "aaaa1111-0000-4000-8000-000000000001"))
        let b = try store.startRun(RunSpec(name: "beta", uuid: "aaaa2222-0000-4000-8000-000000000002"))
        let c = try store.startRun(RunSpec(name: "alpha", uuid: "bbbb3333-0000-4000-8000-000000000003"))
        for run in [a, b, c] { try run.finish() }
        #expect(try store.run("latest").id == c.id)
        #expect(try store.run(String(a.id)).id == a.id)
        #expect(try store.run("beta").id == b.id)
        #expect(try store.run("aaaa2").id == b.id)
        #expect(try store.run("BBBB3333").id == c.id)
        // Two runs named alpha, two uuids starting aaaa: each is an error that lists them.
        let alphas = try [a, c].map { StoreError.RunMatch(try store.run(String($0.id))) }
        #expect(throws: StoreError.ambiguousRun(ref: "alpha", matches: alphas)) { try store.run("alpha") }
        let aaaas = try [a, b].map { StoreError.RunMatch(try store.run(String($0.id))) }
        #expect(throws: StoreError.ambiguousRun(ref: "aaaa", matches: aaaas)) { try store.run("aaaa") }
        #expect(throws: StoreError.runNotFound(ref: "gamma")) { try store.run("gamma") }
    }

    @Test func compareGivesDifferingKeysAndBestSteps() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        func make(_ name: String, lr: String, losses: [Double], accuracy: [Double]) throws -> RunInfo {
            let config = ConfigSnapshot(yaml: nil, resolvedJSON: json("{\"lr\": \(lr), \"seed\": 42, \"only_\(name)\": 1}"))
            let run = try store.startRun(RunSpec(name: name, config: config))
            for (step, loss) in losses.enumerated() { run.log(step: step * 10, ["val/loss": loss, "val/accuracy": accuracy[step]]) }
            try run.finish()
            return try store.run(String(run.id))
        }
        let first = try make("first", lr: "0.001", losses: [3, 2, 2.5], accuracy: [0.1, 0.5, 0.4])
        let second = try make("second", lr: "0.0003", losses: [3, 1.5, 1.8], accuracy: [0.2, 0.3, 0.6])
        let comparison = try store.compare([first, second])
        #expect(comparison.differingParams.map(\.key) == ["lr", "only_first", "only_second"])
        #expect(comparison.differingParams[0].values == ["0.001", "0.0003"])
        #expect(comparison.differingParams[1].values == ["1", nil])
        let loss = try #require(comparison.metrics.first { $0.key == "val/loss" })
        #expect(loss.direction == .lowerIsBetter)
        #expect(loss.best.map { $0?.value } == [2, 1.5])
        #expect(loss.best.map { $0?.step } == [10, 10])
        #expect(loss.bestRun == 1)
        #expect(loss.runs.map { $0?.last } == [2.5, 1.8])
        let accuracy = try #require(comparison.metrics.first { $0.key == "val/accuracy" })
        #expect(accuracy.direction == .higherIsBetter)
        #expect(accuracy.best.map { $0?.step } == [10, 20])
        #expect(accuracy.bestRun == 1)
        #expect(throws: StoreError.self) { try store.compare([first, second], metricKeys: ["nope"]) }
    }

    @Test func theManifestHoldsTheRunsRecords() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "m", config: ConfigSnapshot(yaml: "a: 1\n", resolvedJSON: json("{\"a\": 1}"))))
        try run.startPhase("scrape")
        try run.finishPhase("scrape", stats: ["commits": 3])
        run.log(step: 1, ["train/loss": 2])
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.file("f.jsonl")))
        try run.recordArtifact(path: dir.file("f.jsonl"), kind: "dataset")
        try run.finish()
        let manifest = try store.manifest(for: try store.run("m"))
        #expect(manifest.params == ["a": "1"])
        #expect(manifest.metrics["train/loss"]?.last == 2)
        #expect(manifest.phaseStats["scrape"] == .object(["commits": .int(3)]))
        #expect(manifest.artifacts.map(\.kind) == ["dataset"])
        let text = String(decoding: try ExperimentStore.jsonEncoder().encode(manifest), as: UTF8.self)
        #expect(text.contains("\"phase_stats\""))
        #expect(text.contains("\"train/loss\""))
    }

    @Test func mergeImportsByUUIDAndTwiceChangesNothing() throws {
        let dir = TempDir()
        let source = try ExperimentStore.open(at: dir.file("other.db"))
        let parent = try source.startRun(RunSpec(name: "parent"))
        for step in 0..<50 { parent.log(step: step, ["loss": Double(step)]) }
        parent.logHardware(HardwareSample(time: 1, cpuPercent: 10, gpus: [GPUSample(index: 0, utilizationPercent: 50)]))
        try parent.finish()
        let child = try source.startRun(RunSpec(name: "child", tags: ["t": "1"], config: ConfigSnapshot(yaml: nil, resolvedJSON: json("{\"x\": 1}")), parentRunID: parent.id))
        child.log(step: 0, ["loss": 1, "new/key": 2])
        try child.finish()

        let target = try ExperimentStore.open(at: dir.file("main.db"))
        let mine = try target.startRun(RunSpec(name: "mine"))
        mine.log(step: 0, ["new/key": 5])
        try mine.finish()
        let first = try target.merge(from: dir.file("other.db"))
        #expect(first.imported == [parent.uuid, child.uuid])
        #expect(first.metricPoints == 52)
        let second = try target.merge(from: dir.file("other.db"))
        #expect(second.imported.isEmpty && second.skipped == 2)
        let runs = try target.runs()
        #expect(runs.map(\.name) == ["mine", "parent", "child"])
        let importedChild = try target.run(child.uuid)
        #expect(importedChild.parentRunID == (try target.run(parent.uuid)).id)
        #expect(importedChild.tags == ["t": "1"])
        #expect(try target.params(runID: importedChild.id) == [Param(key: "x", value: "1", type: "number")])
        #expect(try target.metricHistory(runID: try target.run(parent.uuid).id, key: "loss").count == 50)
        #expect(try target.metricSummaries(runID: importedChild.id).map(\.key) == ["loss", "new/key"])
        #expect(try target.hardwareSamples(runID: try target.run(parent.uuid).id).first?.gpus.first?.utilizationPercent == 50)
        #expect(try target.metricHistory(runID: mine.id, key: "new/key").map(\.value) == [5])
    }

    @Test func sqlIsReadOnlyTwiceOver() throws {
        let dir = TempDir()
        let path = dir.file("s.db")
        do {
            let store = try ExperimentStore.open(at: path)
            let run = try store.startRun(RunSpec(name: "q"))
            for step in 0..<30 { run.log(step: step, ["loss": Double(step)]) }
            try run.finish()
            try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        let before = try ExperimentStore.sha256(ofFile: path).hex
        let refused = [
            "INSERT INTO tags VALUES (1, 'a', 'b')", "UPDATE runs SET name = 'x'", "DELETE FROM metrics",
            "DROP TABLE metrics", "ATTACH DATABASE '\(dir.file("evil.db"))' AS evil", "PRAGMA journal_mode = DELETE",
            "PRAGMA user_version = 7", "CREATE TABLE t (x)", "SELECT 1; DELETE FROM runs", "PRAGMA wal_checkpoint",
            "VACUUM", "BEGIN IMMEDIATE",
        ]
        for sql in refused {
            do {
                _ = try ReadOnlyQuery.run(sql, storePath: path, maxRows: 10)
                Issue.record("not refused: \(sql)")
            } catch {
                #expect("\(error)".contains("read-only"), "\(sql): \(error)")
            }
        }
        #expect(try ExperimentStore.sha256(ofFile: path).hex == before)
        #expect(!FileManager.default.fileExists(atPath: dir.file("evil.db")))
        let rows = try ReadOnlyQuery.run("SELECT step, value FROM metric_history WHERE key = 'loss' ORDER BY step", storePath: path, maxRows: 10)
        #expect(rows.columns == ["step", "value"])
        #expect(rows.rows.count == 10 && rows.truncated)
        #expect(rows.rows[3] == [.int(3), .double(3)])
        let info = try ReadOnlyQuery.run("PRAGMA table_info(runs)", storePath: path, maxRows: 0)
        #expect(info.rows.count > 10 && !info.truncated)
        #expect(throws: StoreError.notFound(path: dir.file("nope.db"))) { try ReadOnlyQuery.run("SELECT 1", storePath: dir.file("nope.db"), maxRows: 1) }
    }

    /// FIPS 180-2's vectors (the empty message, "abc", a two-block message, a million "a"s).
    @Test func sha256MatchesTheStandardVectors() {
        #expect(ExperimentStore.sha256(of: Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ExperimentStore.sha256(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ExperimentStore.sha256(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(ExperimentStore.sha256(of: Data(repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// A file read in 1 MiB blocks hashes as the whole of it does in memory and as `sha256sum`
    /// prints it: over several blocks with a partial last one, exactly two blocks, and empty.
    @Test func fileHashedInBlocksEqualsTheWholeAndSha256sum() throws {
        let dir = TempDir()
        var random = SystemRandomNumberGenerator()
        for (name, size) in [("r.bin", (3 << 20) + 17), ("two.bin", 2 << 20), ("empty.bin", 0)] {
            let bytes = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &random) })
            try bytes.write(to: URL(fileURLWithPath: dir.file(name)))
            let expected = try shell("sha256sum '\(dir.file(name))' | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
            let (hex, count) = try ExperimentStore.sha256(ofFile: dir.file(name))
            #expect(hex == expected && count == Int64(size), "\(name)")
            #expect(ExperimentStore.sha256(of: bytes) == expected, "\(name)")
        }
    }

    /// A directory's checksum is the SHA-256 of the listing `sha256sum` prints for its files
    /// (sorted relative paths), and its size their total.
    @Test func directoryChecksumIsTheSha256sumListing() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("model/sub"), withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: URL(fileURLWithPath: dir.file("model/b.bin")))
        try Data("config".utf8).write(to: URL(fileURLWithPath: dir.file("model/sub/a.json")))
        let expected = try shell("cd '\(dir.file("model"))' && find . -type f | sed 's|^./||' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1")
        let (hex, bytes) = try ExperimentStore.sha256(ofPath: dir.file("model"))
        #expect(hex == expected.trimmingCharacters(in: .whitespacesAndNewlines) && bytes == 13)
        #expect(throws: StoreError.fileMissing(path: dir.file("none"), what: "file")) { try ExperimentStore.sha256(ofPath: dir.file("none")) }
    }
}
