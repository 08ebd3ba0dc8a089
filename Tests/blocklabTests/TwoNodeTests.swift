import Foundation
import TestSupport
import Testing

/// `blocklab train --nnodes 2` as docs/training.md shows it, both "machines" on 127.0.0.1:
/// two launchers, `--node-rank 0` and `1`, one rank each, meeting at a free port. One run of
/// world size 2 is recorded, by node 0 only, with both ranks' hardware samples.
@Suite(.serialized) struct TwoNodeTests {
    @Test func twoNodesOnOneMachineTrainAsOneRunOfWorldSizeTwo() throws {
        let dir = TempDir()
        try TrainCommandTests.tokenize(in: dir)
        let node1 = dir.file("node1")
        try FileManager.default.createDirectory(atPath: node1, withIntermediateDirectories: true)
        let port = try Ranks.freePort()
        func arguments(_ rank: Int) -> [String] {
            ["train", "--nnodes", "2", "--node-rank", "\(rank)", "--nproc-per-node", "1", "--master-addr", "127.0.0.1", "--master-port", "\(port)",
             "--data", dir.file("data"), "--set", "model.preset=tiny", "--set", "model.n_positions=32", "--set", "training.max_steps=4",
             "--set", "training.batch_size=2", "--set", "training.distributed.timeout_seconds=20", "--set", "hardware_monitoring.interval_seconds=0.2"]
        }
        let zero = CLI.start(arguments(0) + ["--store", dir.file("s.db"), "--out", dir.file("model"), "--name", "two-nodes", "--format", "json"],
                             directory: dir.path)
        try zero.run()
        let zeroOutput = OutputCollector(zero)
        // Node 1 names no store and another output folder: rank 0 owns both.
        let one = try CLI.run(arguments(1) + ["--out", dir.file("node1/model")], directory: node1, within: DataParallelTests.rankDeadline)
        let (out, err) = try zeroOutput.finish(within: DataParallelTests.rankDeadline)   // node 0 ends
        #expect(zero.terminationStatus == 0, "node 0: \(err)")
        #expect(one.status == 0, "node 1: \(one.stderr)")
        let summary = try #require(try CLI.json(out) as? [String: Any], "node 0 prints the summary: \(out)")
        #expect(summary["status"] as? String == "finished" && summary["steps"] as? Int == 4)
        #expect(one.stdout.isEmpty, "node 1 prints no summary: \(one.stdout)")

        #expect(try DataParallelTests.query(dir, "SELECT name, world_size, status FROM runs") == [["two-nodes", "2", "finished"]])
        let ranks = try DataParallelTests.query(dir, "SELECT rank, COUNT(*) FROM hardware_samples GROUP BY rank ORDER BY rank")
        #expect(ranks.map { $0[0] } == ["0", "1"], "samples from both ranks: \(ranks)")
        #expect(try DataParallelTests.history(dir, run: "two-nodes", key: "train/loss").count == 4)
        #expect(FileManager.default.fileExists(atPath: dir.file("model/last/model.safetensors")))
        #expect(!FileManager.default.fileExists(atPath: dir.file("node1/model")) && !FileManager.default.fileExists(atPath: dir.file("node1/blocklab.db")),
                "node 1 writes no model and no store")
    }
}
