import Foundation
import Testing
@testable import HardwareMonitor

@Test func readsThisMachine() throws {
    let monitor = HardwareMonitor()
    // Burn a little CPU so the busy share is above zero.
    var x = 0.0
    for i in 0..<3_000_000 { x += sin(Double(i)) }
    #expect(x != 0.5)
    let sample = monitor.sample(step: 7)
    #expect(sample.step == 7)
    let cpu = try #require(sample.cpuPercent)
    #expect(cpu > 0 && cpu <= 100)
    let memory = try #require(HardwareMonitor.memory())
    #expect(memory.available <= memory.total)
    let ramPercent = try #require(sample.ramPercent)
    #expect(ramPercent > 0 && ramPercent < 100)
    let rss = try #require(sample.processRSSBytes)
    #expect(rss > 1_000_000)
    #expect(try #require(HardwareMonitor.peakRSS()) >= rss)
}

@Test func parsesNvidiaSMIOutput() {
    let text = "0, NVIDIA H100 80GB HBM3, 87, 40960, 81559, 61, 312.45\n1, NVIDIA H100 80GB HBM3, [N/A], 0, 81559, 30, 70.1\n"
    let gpus = HardwareMonitor.parseNvidiaSMI(text)
    #expect(gpus.count == 2)
    #expect(gpus[0].index == 0)
    #expect(gpus[0].utilizationPercent == 87)
    #expect(gpus[0].memoryUsedBytes == Int64(42_949_672_960))
    #expect(gpus[0].memoryTotalBytes == Int64(85_520_809_984))
    #expect(gpus[0].temperatureC == 61)
    #expect(gpus[0].powerWatts == 312.45)
    #expect(gpus[1].utilizationPercent == nil)
}

@Test func samplerTagsEachSampleWithTheCurrentStep() {
    final class Box: @unchecked Sendable { var steps = [Int?](); let lock = NSLock() }
    let box = Box()
    let sampler = HardwareSampler(interval: 0.05, currentStep: { 42 }, onSample: { sample in
        box.lock.withLock { box.steps.append(sample.step) }
    })
    sampler.start()
    Thread.sleep(forTimeInterval: 0.2)
    sampler.stop()
    let steps = box.lock.withLock { box.steps }
    #expect(steps.count >= 2)  // the first sample at start and the last at stop, at least
    #expect(steps.allSatisfy { $0 == 42 })
}
