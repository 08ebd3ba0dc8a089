import Foundation
import TestSupport
import GRDB
import HardwareMonitor
import Testing
@testable import ExperimentStore

@Suite struct RunHandleTests {
    @Test func everyPointLoggedIsStoredWithAnExactSummary() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "exact", experiment: "tests", tags: ["k": "v"],
                                             sourceRepository: "/repo", sourceCommit: "abc123"))
        // losses: 5, 4, 3, 2, 1, 2, 3 at steps 0...6; written across several flushes
        let losses: [Double] = [5, 4, 3, 2, 1, 2, 3]
        for (step, loss) in losses.enumerated() {
            run.log(step: step, epoch: Double(step) / 7, ["train/loss": loss, "acc": Double(step) * 10])
            if step % 2 == 0 { try run.flush() }
        }
        run.log(step: 7, ["val/loss": .nan])
        try run.finish()

        let summaries = Dictionary(uniqueKeysWithValues: try store.metricSummaries(runID: run.id).map { ($0.key, $0) })
        #expect(summaries["train/loss"] == MetricSummary(key: "train/loss", count: 7, min: 1, minStep: 4, max: 5, maxStep: 0, last: 3, lastStep: 6))
        #expect(summaries["acc"] == MetricSummary(key: "acc", count: 7, min: 0, minStep: 0, max: 60, maxStep: 6, last: 60, lastStep: 6))
        #expect(summaries["val/loss"] == MetricSummary(key: "val/loss", count: 1, min: nil, minStep: nil, max: nil, maxStep: nil, last: nil, lastStep: 7))
        let history = try store.metricHistory(runID: run.id, key: "train/loss")
        #expect(history.map(\.step) == Array(0...6))
        #expect(history.map(\.value) == losses)
        #expect(history[3].epoch == 3.0 / 7)

        let info = try store.run("exact")
        #expect(info.status == .finished)
        #expect(info.endedAt != nil)
        #expect(info.tags == ["k": "v"])
        #expect(info.sourceRepo == "/repo" && info.sourceCommit == "abc123")
        #expect(info.pid == Int64(getpid()))
        #expect(info.blocklabVersion == BlockLabVersion.string)
    }

    @Test func relloggingAStepKeepsTheLaterValue() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "again"))
        run.log(step: 1, ["loss": 9])
        try run.flush()
        run.log(step: 1, ["loss": 4])
        try run.finish()
        #expect(try store.metricHistory(runID: run.id, key: "loss").map(\.value) == [4])
    }

    @Test func theSummaryOfARelloggedStepIsItsOnlyPoint() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "b"))
        run.log(step: 1, ["loss": 1])
        run.log(step: 1, ["loss": 9])     // the same batch
        try run.finish()
        let summary = try #require(try store.metricSummaries(runID: run.id).first)
        #expect(summary == MetricSummary(key: "loss", count: 1, min: 9, minStep: 1, max: 9, maxStep: 1, last: 9, lastStep: 1))
    }

    /// Random logging with steps logged again (in the same flush and in later ones), NaNs,
    /// steps out of order and ties: after every flush the summaries equal an aggregate over
    /// the stored points.
    @Test(arguments: [1, 2, 3, 4, 5])
    func summariesEqualAnAggregateOverThePoints(seed: UInt64) throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "random"))
        var random = SplitMix(seed: seed)
        for round in 0..<12 {
            for _ in 0..<(1 + Int(random.next() % 40)) {
                let step = Int(random.next() % 30)
                let draw = random.next() % 12
                let value = draw == 0 ? Double.nan : Double(draw % 5)   // few distinct values: ties
                run.log(step: step, ["k\(random.next() % 3)": value])
            }
            try run.flush()
            try expectSummariesMatchPoints(store: store, runID: run.id, context: "seed \(seed) round \(round)")
        }
        try run.finish()
        try expectSummariesMatchPoints(store: store, runID: run.id, context: "seed \(seed) at the end")
    }

    private func expectSummariesMatchPoints(store: ExperimentStore, runID: Int64, context: String) throws {
        let expected: [MetricSummary] = try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT k.key, COUNT(*), MIN(m.value), MAX(m.value), MAX(m.step) FROM metrics m
                JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = ? GROUP BY k.key ORDER BY k.key
                """, arguments: [runID]).map { row in
                let key: String = row[0]
                let points = try Row.fetchAll(db, sql: """
                    SELECT m.step, m.value FROM metrics m JOIN metric_keys k ON k.id = m.key_id
                    WHERE m.run_id = ? AND k.key = ? ORDER BY m.step
                    """, arguments: [runID, key]).map { (step: $0[0] as Int, value: $0[1] as Double?) }
                let min: Double? = row[2], max: Double? = row[3]
                return MetricSummary(key: key, count: row[1], min: min, minStep: points.first { $0.value == min && min != nil }?.step,
                                     max: max, maxStep: points.first { $0.value == max && max != nil }?.step,
                                     last: points.last?.value, lastStep: row[4])
            }
        }
        let actual = try store.metricSummaries(runID: runID).sorted { $0.key < $1.key }
        #expect(actual == expected, "\(context)")
    }

    /// log() returns while the run's writer cannot commit: another program (sqlite3) holds
    /// the store's write lock all along, and nothing reaches the file until it lets go. Then
    /// the writer commits everything by itself (no flush call) and keeps the heartbeat going.
    @Test func logNeverWaitsForTheDiskAndTheWriterFlushesOnItsOwn() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "background"))
        let reader = try ExperimentStore.open(at: dir.file("s.db"), mode: .readOnly)

        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [dir.file("s.db")]
        let holder = try TestChild(sqlite, input: true)
        holder.send("BEGIN IMMEDIATE;\nSELECT 'held';\n", close: false)
        try holder.waitFor("the write lock", within: .seconds(60)) { out, _ in out.contains("held") }
        run.log(step: 0, ["loss": 1])
        Thread.sleep(forTimeInterval: RunHandle.defaultFlushInterval * 3)   // the writer is now waiting for the lock

        // 100,000 points, past the batch that wakes the writer at once. If log() waited for the
        // disk it would wait for the lock, which is held until the points are all logged or
        // the (hang-guard) deadline passes.
        let logged = DispatchSemaphore(value: 0)
        Thread {
            for step in 1...100_000 { run.log(step: step, ["loss": 1]) }
            logged.signal()
        }.start()
        let returned = logged.wait(timeout: .now() + 300) == .success
        let committedWhileHeld = try reader.metricHistory(runID: run.id, key: "loss").count
        holder.send("COMMIT;\n")
        try holder.finish(within: .seconds(60))
        #expect(returned, "log() waited while another connection held the store's write lock")
        #expect(committedWhileHeld == 0, "the writer committed while the lock was held: the test did not hold it")

        var seen = 0
        for _ in 0..<600 where seen < 100_001 {
            Thread.sleep(forTimeInterval: 0.1)
            seen = try reader.metricHistory(runID: run.id, key: "loss").count
        }
        #expect(seen == 100_001)
        let before = try reader.run("background").heartbeatAt
        Thread.sleep(forTimeInterval: RunHandle.defaultFlushInterval * 3)
        #expect(try reader.run("background").heartbeatAt > before)
        try run.finish()
    }

    @Test func hardwareSamplesAndGPUsAreStored() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "hw"))
        let gpu = GPUSample(index: 0, name: "test gpu", utilizationPercent: 90, memoryUsedBytes: 5_000, memoryTotalBytes: 8_000, temperatureC: 70, powerWatts: 200)
        run.logHardware(HardwareSample(time: 100, step: 5, cpuPercent: 50, ramUsedBytes: 1_000, ramPercent: 10, processRSSBytes: 300, cpuTemperatureC: 60, gpus: [gpu]))
        run.logHardware(HardwareSample(time: 110, step: 9, cpuPercent: 70, ramUsedBytes: 900, ramPercent: 9, processRSSBytes: 400, cpuTemperatureC: nil, gpus: []))
        try run.finish()
        let samples = try store.hardwareSamples(runID: run.id)
        #expect(samples.count == 2)
        #expect(samples[0].gpus == [gpu])
        #expect(samples[1].step == 9)
        let peaks = try store.hardwarePeaks(runID: run.id)
        #expect(peaks == HardwarePeaks(samples: 2, cpuPercent: 70, ramUsedBytes: 1_000, ramPercent: 10, processRSSBytes: 400,
                                       cpuTemperatureC: 60, gpuUtilizationPercent: 90, gpuMemoryUsedBytes: 5_000,
                                       gpuTemperatureC: 70, gpuPowerWatts: 200))
    }

    @Test func checkpointsNeedTheirFileAndCarryItsChecksum() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "ckpt"))
        #expect(throws: StoreError.fileMissing(path: dir.file("nope.bin"), what: "checkpoint")) {
            try run.recordCheckpoint(path: dir.file("nope.bin"), step: 1, format: "raw")
        }
        #expect(try store.checkpoints(runID: run.id).isEmpty)

        try Data("abc".utf8).write(to: URL(fileURLWithPath: dir.file("c.bin")))
        let record = try run.recordCheckpoint(path: dir.file("c.bin"), step: 10, epoch: 0.5, format: "raw", isBest: true, metrics: ["val/loss": 1.5])
        #expect(record.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(record.bytes == 3)
        // A directory: the checksum of its sha256sum-style listing.
        try FileManager.default.createDirectory(atPath: dir.file("model"), withIntermediateDirectories: true)
        try Data("abc".utf8).write(to: URL(fileURLWithPath: dir.file("model/a.bin")))
        try Data().write(to: URL(fileURLWithPath: dir.file("model/b.json")))
        let listing = try shell("cd '\(dir.file("model"))' && sha256sum a.bin b.json | sha256sum | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        let directory = try run.recordCheckpoint(path: dir.file("model"), step: 20, format: "safetensors")
        #expect(directory.sha256 == listing)
        #expect(directory.bytes == 3)
        let artifact = try run.recordArtifact(path: dir.file("c.bin"), kind: "dataset")
        #expect(artifact.name == "c.bin" && artifact.sha256 == record.sha256)
        try run.finish()
        let stored = try store.checkpoints(runID: run.id)
        #expect(stored.map(\.step) == [10, 20])
        #expect(stored[0].metrics == ["val/loss": 1.5] && stored[0].isBest && stored[0].epoch == 0.5)
    }

    @Test func phasesRecordStatusStatsAndErrors() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "phases"))
        try run.startPhase("scrape")
        try run.finishPhase("scrape", stats: ["commits": 12])
        try run.startPhase("train")
        try run.finishPhase("train", status: .failed, error: "out of memory")
        #expect(throws: StoreError.self) { try run.finishPhase("never-started") }
        try run.finish(status: .failed, error: "train failed")
        let phases = try store.phases(runID: run.id)
        #expect(phases.map(\.name) == ["scrape", "train"])
        #expect(phases[0].stats == .object(["commits": .int(12)]))
        #expect(phases[1].status == .failed && phases[1].error == "out of memory")
        let info = try store.run(String(run.id))
        #expect(info.status == .failed && info.error == "train failed")
    }

    @Test func aFullDiskLosesNothingAlreadyCommittedAndKeepsTheBatch() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "full"))
        for step in 0..<100 { run.log(step: step, ["loss": Double(step)]) }
        try run.flush()
        // Make the database unable to grow, as a full disk would.
        let pages = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
        try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        for step in 100..<20_000 { run.log(step: step, ["loss": Double(step), "other": 1]) }
        #expect(throws: StoreError.diskFull(path: dir.file("s.db"))) { try run.flush() }
        #expect(try store.metricHistory(runID: run.id, key: "loss").count == 100)
        #expect(try store.integrityCheck() == "ok")
        // Space again: the batch that failed is written, nothing lost.
        try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try run.finish()
        #expect(try store.metricHistory(runID: run.id, key: "loss").count == 20_000)
        #expect(try store.metricSummaries(runID: run.id).first { $0.key == "other" }?.count == 19_900)
    }

    @Test func aRunWhoseProcessIsGoneReadsAsCrashedAndReapRecordsIt() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "ghost"))
        try run.flush()
        // Pretend the run belongs to a process that has exited: a pid that cannot exist.
        try store.write { db in try db.execute(sql: "UPDATE runs SET pid = 2147483646 WHERE id = ?", arguments: [run.id]) }
        #expect(try store.run("ghost").status == .crashed)
        #expect(try store.run("ghost").recordedStatus == .running)
        let reaped = try store.reap()
        #expect(reaped.map(\.id) == [run.id])
        #expect(try store.run("ghost").recordedStatus == .crashed)
        #expect(try store.reap().isEmpty)
        // Another host: only the heartbeat can tell.
        #expect(ExperimentStore.effectiveStatus(recorded: .running, heartbeatAt: 1000, pid: 1, hostname: "elsewhere", now: 1030) == .running)
        #expect(ExperimentStore.effectiveStatus(recorded: .running, heartbeatAt: 1000, pid: 1, hostname: "elsewhere", now: 1061) == .crashed)
    }
}

/// A small seeded generator for reproducible random logs (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
