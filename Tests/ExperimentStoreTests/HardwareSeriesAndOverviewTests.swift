import Foundation
import TestSupport
import HardwareMonitor
import Testing
@testable import ExperimentStore

@Suite struct HardwareSeriesAndOverviewTests {
    @Test func hardwareComesBackAsAlignedColumnsWithEachGPU() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "hw"))
        for i in 0..<5 {
            run.logHardware(HardwareSample(
                time: 1_000 + Double(i), step: i * 10, cpuPercent: Double(i * 10), ramUsedBytes: Int64(i) << 20, ramPercent: 50,
                processRSSBytes: 4096, cpuTemperatureC: i == 2 ? nil : 40,
                gpus: i == 3 ? [] : [GPUSample(index: 0, name: "H100", utilizationPercent: Double(90 + i), memoryUsedBytes: 1 << 30,
                                               memoryTotalBytes: 80 << 30, temperatureC: 60, powerWatts: 300)]))
        }
        try run.finish()
        let series = try store.hardwareSeries(runID: run.id)
        #expect(!series.downsampled && series.samples == 5)
        #expect(series.times == [1_000, 1_001, 1_002, 1_003, 1_004])
        #expect(series.steps == [0, 10, 20, 30, 40])
        #expect(series.cpuPercent == [0, 10, 20, 30, 40])
        #expect(series.ramUsedBytes == [0, 1, 2, 3, 4].map { Double($0 << 20) })
        #expect(series.cpuTemperatureC == [40, 40, nil, 40, 40])
        #expect(series.gpus.count == 1)
        #expect(series.gpus[0].name == "H100")
        #expect(series.gpus[0].utilizationPercent == [90, 91, 92, nil, 94])
        #expect(series.gpus[0].memoryTotalBytes[0] == Double(80 << 30))
    }

    @Test func manySamplesAreMergedIntoTimeBucketsKeepingPeaks() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "hw"))
        // 100 samples over 99 s; a CPU spike of 99 % at t = 37.
        for i in 0..<100 { run.logHardware(HardwareSample(time: Double(i), cpuPercent: i == 37 ? 99 : 10)) }
        try run.finish()
        let series = try store.hardwareSeries(runID: run.id, maxPoints: 10)
        #expect(series.downsampled && series.samples == 100)
        #expect(series.times.count == 10)
        #expect(series.cpuPercent.compactMap { $0 }.max() == 99)
        #expect(series.cpuPercent.filter { $0 == 99 }.count == 1)
        #expect(series.times == series.times.sorted())
        #expect(throws: StoreError.self) { try store.hardwareSeries(runID: run.id, maxPoints: 0) }
    }

    @Test func overviewsCarryBestValidationAndLastTrainingLoss() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let a = try store.startRun(RunSpec(name: "a"))
        for (step, loss) in [3.0, 2.0, 2.5].enumerated() { a.log(step: step, ["train/loss": loss + 1, "val/loss": loss]) }
        try a.finish()
        let b = try store.startRun(RunSpec(name: "b"))
        b.log(step: 7, ["loss": 0.5, "val_loss": 0.75])
        try b.finish()
        let c = try store.startRun(RunSpec(name: "c"))
        try c.finish()
        let overviews = try store.runOverviews()
        #expect(overviews.map(\.run.name) == ["a", "b", "c"])
        #expect(overviews[0].bestValLoss == 2.0 && overviews[0].bestValLossStep == 1 && overviews[0].lastTrainLoss == 3.5)
        #expect(overviews[0].metricKeys == 2 && overviews[0].metricPoints == 6 && overviews[0].lastStep == 2)
        #expect(overviews[1].bestValLoss == 0.75 && overviews[1].lastTrainLoss == 0.5 && overviews[1].lastStep == 7)
        #expect(overviews[2].bestValLoss == nil && overviews[2].metricPoints == 0 && overviews[2].lastStep == nil)
    }
}
