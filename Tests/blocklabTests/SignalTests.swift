import Foundation
import TestSupport
import Testing

/// SIGINT and SIGTERM sent by pid, as a scheduler or `kill` sends them: a run ends `killed`
/// with every point read so far stored, and the process exits with 128 + the signal.
@Suite struct SignalTests {
    private func query(_ store: String, _ sql: String) throws -> [String] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\r\n").dropFirst().map(String.init)
    }

    /// Ingest from stdin with a flush interval longer than the test: nothing is stored when
    /// the signal lands, so everything stored afterwards came through the final flush.
    @Test(arguments: [SIGTERM, SIGINT])
    func ingestFromStdinFlushesWhatItBufferedAndEndsKilled(signal: Int32) throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let process = CLI.start(["ingest", "--store", store, "--name", "stopped", "--flush-interval", "3600"])
        try process.run()
        let collector = OutputCollector(process)
        let input = try #require(process.standardInput as? Pipe).fileHandleForWriting
        // 2000 metric lines, then one unusable line: its report on stderr means every line
        // before it has been read and buffered.
        input.write(Data((metricLines(0..<2000) + "sync\n").utf8))
        #expect(collector.waitFor { _, err in err.contains("line 2001") })
        #expect(try query(store, "SELECT COUNT(*) FROM metrics") == ["0"])

        kill(process.processIdentifier, signal)
        try collector.finish()
        #expect(process.terminationStatus == 128 + signal)
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(try query(store, "SELECT status, error FROM runs") == ["killed,stopped by \(name)"])
        #expect(try query(store, "SELECT COUNT(*) FROM metrics") == ["4000"])
        #expect(try query(store, "SELECT count, step FROM latest_metrics WHERE key = 'loss'") == ["2000,1999"])
    }

    /// `ingest -- CMD`: the signal goes to the command; the command dies of it, and the run
    /// ends `killed` with every line the command printed before it.
    @Test(arguments: [SIGTERM, SIGINT])
    func ingestForwardsTheSignalToItsCommand(signal: Int32) throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let script = """
            i=0; while [ $i -lt 500 ]; do echo "{\\"step\\": $i, \\"loss\\": 1.5}"; i=$((i+1)); done
            echo "child $$ ready"
            exec sleep 600
            """
        let process = CLI.start(["ingest", "--store", store, "--name", "wrapped", "--flush-interval", "3600", "--", "/bin/sh", "-c", script])
        try process.run()
        let collector = OutputCollector(process)
        // Lines that are not JSON pass through to ingest's stdout once read.
        #expect(collector.waitFor { out, _ in out.contains("ready") })
        let child = try #require(collector.stdoutSoFar.split(separator: " ").dropFirst().first.flatMap { Int32($0) })
        #expect(kill(child, 0) == 0)

        kill(process.processIdentifier, signal)
        try collector.finish()
        #expect(process.terminationStatus == 128 + signal)
        #expect(kill(child, 0) == -1 && errno == ESRCH, "the command is gone (it got the signal and was reaped)")
        #expect(try query(store, "SELECT status, error FROM runs") == ["killed,/bin/sh was killed by signal \(signal)"])
        #expect(try query(store, "SELECT COUNT(*) FROM metrics") == ["500"])
    }

    /// `train` stopped by SIGTERM mid-run: killed, exit 143, its last checkpoint recorded and on disk.
    @Test func trainStoppedBySIGTERMEndsKilled() throws {
        let dir = TempDir()
        try TokenizeCommandTests.writeRecords(dir.file("records.jsonl"))
        let tokenized = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("data"),
                                     "--vocab-size", "400", "--sequence-length", "32", "--no-store"])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
        let store = dir.file("s.db")
        let process = CLI.start(["train", "--data", dir.file("data"), "--out", dir.file("model"), "--store", store,
                                 "--set", "model.preset=tiny", "--set", "model.n_positions=32",
                                 "--set", "training.checkpoint_every_steps=5", "--set", "training.max_steps=100000",
                                 "--set", "epoch_calculation.min_epochs=10000", "--set", "epoch_calculation.max_epochs=10000"])
        try process.run()
        let collector = OutputCollector(process)
        #expect(collector.waitFor { _, _ in FileManager.default.fileExists(atPath: dir.file("model/step-000010")) })
        kill(process.processIdentifier, SIGTERM)
        try collector.finish()
        #expect(process.terminationStatus == 128 + SIGTERM)
        #expect(try query(store, "SELECT status, error FROM runs") == ["killed,stopped by SIGTERM"])
        let newest = try #require(try query(store, "SELECT path FROM checkpoints ORDER BY step DESC LIMIT 1").first)
        #expect(FileManager.default.fileExists(atPath: newest + "/model.safetensors"))
        #expect(try query(store, "SELECT status FROM phases WHERE name = 'train'") != ["running"])
    }
}
