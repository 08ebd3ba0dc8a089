import Foundation
import GRDB
import HardwareMonitor
import TestSupport
import Testing
@testable import ExperimentStore

/// Hardware in every phase: `run.phase` samples the machine while its body runs, each sample
/// names its phase, and the peaks come back per phase (store, view, manifest).
@Suite struct PhaseHardwareTests {
    @Test func everyPhaseIsSampledAndItsPeaksComeBackByName() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "phases"))
        // Sampled by the phase itself: one sample as it starts, one as it ends at least.
        let held = try run.phase("tokenize", hardwareEvery: 0.05) { _ in
            [UInt8](repeating: 1, count: 8 << 20).reduce(0) { $0 &+ Int($1) }
        }
        #expect(held == 8 << 20)
        // A phase that samples itself (as training does): what it logs is tagged with it.
        try run.phase("train", hardwareEvery: nil) { _ in
            run.logHardware(HardwareSample(time: Date().timeIntervalSince1970, processRSSBytes: 5, processRSSAnonBytes: 3))
        }
        // Outside any phase: no phase.
        run.logHardware(HardwareSample(processRSSBytes: 7))
        try run.finish()

        let samples = try store.hardwareSamples(runID: run.id)
        let tokenize = samples.filter { $0.phase == "tokenize" }
        #expect(tokenize.count >= 2)
        #expect(tokenize.allSatisfy { ($0.processRSSAnonBytes ?? 0) > 0 && $0.processRSSAnonBytes! <= $0.processRSSBytes! })
        #expect(tokenize.allSatisfy { $0.rank == 0 && $0.host == HardwareMonitor.hostName })
        #expect(samples.filter { $0.phase == "train" }.map(\.processRSSBytes) == [5])
        #expect(samples.last?.phase == nil && samples.last?.processRSSBytes == 7)

        let byPhase = try store.hardwarePeaksByPhase(runID: run.id)
        #expect(Set(byPhase.keys) == ["tokenize", "train"])
        #expect(byPhase["tokenize"]?.samples == tokenize.count)
        #expect(byPhase["tokenize"]?.processRSSBytes == tokenize.compactMap(\.processRSSBytes).max())
        #expect(byPhase["tokenize"]?.processRSSAnonBytes == tokenize.compactMap(\.processRSSAnonBytes).max())
        #expect(byPhase["train"] == HardwarePeaks(samples: 1, processRSSBytes: 5, processRSSAnonBytes: 3))
        // The run's peaks count every sample, in phases or not.
        #expect(try store.hardwarePeaks(runID: run.id).samples == samples.count)

        // The view SQL clients read: a row per phase, and one (NULL) for the samples outside.
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT phase, samples, process_rss_anon_bytes FROM phase_hardware_peaks WHERE run_id = ? ORDER BY first_time",
                             arguments: [run.id]).map { ($0[0] as String?, $0[1] as Int, $0[2] as Int64?) }
        }
        #expect(rows.map(\.0) == ["tokenize", "train", nil])
        #expect(rows.map(\.1) == [tokenize.count, 1, 1])
        #expect(rows[1].2 == 3 && rows[2].2 == nil)

        // The manifest holds the same.
        let manifest = try store.manifest(for: try store.run("phases"))
        #expect(manifest.hardwarePeaksByPhase == byPhase)
        let json = try #require(try JSONSerialization.jsonObject(with: ExperimentStore.jsonEncoder().encode(manifest)) as? [String: Any])
        let section = try #require(json["hardware_peaks_by_phase"] as? [String: [String: Any]])
        #expect(section["train"]?["process_rss_anon_bytes"] as? Int == 3)
    }

    @Test func aFailingPhaseIsSampledToItsEnd() throws {
        struct Broken: Error {}
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "failing"))
        #expect(throws: Broken.self) { try run.phase("scrape", hardwareEvery: 60) { _ in throw Broken() } }
        try run.finish(status: .failed, error: "broken")
        // The start's sample and the end's, though the body threw at once.
        #expect(try store.hardwarePeaksByPhase(runID: run.id)["scrape"]?.samples == 2)
    }
}
