import Foundation
import Testing
@testable import HardwareMonitor

// Each reading is checked against what /proc says at the same moment, read here by the
// test itself: the monitor's reading is taken between two of the test's, and must lie
// within what those two bracket. /proc files report a size of 0, so they are read to the end.

private func procText(_ path: String) throws -> String {
    let handle = try #require(FileHandle(forReadingAtPath: path), "\(path) is readable")
    defer { try? handle.close() }
    return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
}

/// A /proc/meminfo field in bytes.
private func meminfo(_ field: String) throws -> Int64 {
    let line = try #require(try procText("/proc/meminfo").split(separator: "\n").first { $0.hasPrefix(field + ":") })
    let kib = try #require(line.split(separator: " ").dropFirst().first.flatMap { Int64($0) })
    return kib * 1024
}

/// This process's resident set (the second field of /proc/self/statm, in pages) in bytes.
private func statmRSS() throws -> Int64 {
    let pages = try #require(try procText("/proc/self/statm").split(separator: " ").dropFirst().first.flatMap { Int64($0) })
    return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
}

/// /proc/self/status's VmHWM in bytes.
private func statusHWM() throws -> Int64 {
    let line = try #require(try procText("/proc/self/status").split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
    return try #require(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int64($0) }) * 1024
}

/// The machine's CPU time so far from /proc/stat's `cpu` line: (busy, all), in clock ticks;
/// idle and iowait are not busy. Also the number of CPUs it lists.
private func cpuTicks() throws -> (busy: Double, all: Double, cpus: Int) {
    let lines = try procText("/proc/stat").split(separator: "\n")
    let fields = try #require(lines.first { $0.hasPrefix("cpu ") }).split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
    try #require(fields.count == 8)
    let all = fields.reduce(0, +)
    return (all - fields[3] - fields[4], all, lines.filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count)
}

/// Reads `reading` between two reads of `proc` until those two agree within `slack` bytes
/// (other threads and processes move the numbers between reads), then returns the reading and
/// the two /proc values around it. Gives up after `attempts` tries.
private func bracketed<T>(by proc: () throws -> Int64, slack: Int64, attempts: Int = 2000,
                          _ reading: () throws -> T) throws -> (reading: T, low: Int64, high: Int64) {
    for _ in 0..<attempts {
        let before = try proc()
        let value = try reading()
        let after = try proc()
        if abs(after - before) <= slack { return (value, min(before, after), max(before, after)) }
    }
    throw NeverHeldStill(description: "/proc never held still within \(slack) bytes over \(attempts) tries")
}

private struct NeverHeldStill: Error, CustomStringConvertible { let description: String }

@Test func memoryIsWhatProcMeminfoSays() throws {
    let monitor = HardwareMonitor()
    let total = try meminfo("MemTotal")
    // Other processes move MemAvailable: take the monitor's reading at a moment when the
    // test's own reads on either side of it agree within 16 MiB.
    let ((memory, sample), low, high) = try bracketed(by: { try meminfo("MemAvailable") }, slack: 16 << 20) {
        (try #require(HardwareMonitor.memory()), monitor.sample())
    }
    #expect(memory.total == total)
    let slack: Int64 = 16 << 20
    #expect(memory.available >= low - slack && memory.available <= high + slack, "\(memory.available) outside \(low)...\(high)")
    let used = try #require(sample.ramUsedBytes)
    #expect(used >= total - high - slack && used <= total - low + slack)
    let percent = try #require(sample.ramPercent)
    #expect(abs(percent - 100 * Double(used) / Double(total)) < 1e-9)
}

/// This process's RSS, read by the monitor between two reads of /proc/self/statm that agree
/// (other suites allocate and free in this process at any time, so only readings taken at
/// the same moment are compared), before and after touching 128 MiB; its peak lies between
/// two reads of VmHWM, which never falls.
@Test func rssAndPeakFollowThisProcess() throws {
    let monitor = HardwareMonitor()
    let slack: Int64 = 4 << 20
    let before = try bracketed(by: statmRSS, slack: slack) { try #require(HardwareMonitor.processRSS()) }
    #expect(before.reading >= before.low - slack && before.reading <= before.high + slack, "\(before)")
    let size = 128 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
    defer { buffer.deallocate() }
    memset(buffer, 1, size)
    let after = try bracketed(by: statmRSS, slack: slack) { try #require(monitor.sample().processRSSBytes) }
    #expect(after.reading >= after.low - slack && after.reading <= after.high + slack, "\(after)")
    let hwmBefore = try statusHWM()
    let peak = try #require(HardwareMonitor.peakRSS())
    let hwmAfter = try statusHWM()
    #expect(peak >= hwmBefore && peak <= hwmAfter, "\(peak) outside \(hwmBefore)...\(hwmAfter)")
    #expect(peak >= after.low - slack)
    #expect(buffer.load(fromByteOffset: size - 1, as: UInt8.self) == 1)
}

@Test func cpuShareIsWhatProcStatSays() throws {
    // While this thread spins, and while it sleeps. The machine may be busy with other work,
    // so the share is compared with /proc/stat over the same span, not with a fixed figure;
    // while spinning, at least this one CPU is busy.
    for spin in [true, false] {
        let start = try cpuTicks()
        let monitor = HardwareMonitor()  // its first reading of /proc/stat
        let until = Date().addingTimeInterval(1)
        if spin {
            var x = 0.0
            while Date() < until { for i in 0..<10_000 { x += sin(Double(i)) } }
            #expect(x.isFinite)
        } else {
            Thread.sleep(until: until)
        }
        let share = try #require(monitor.sample().cpuPercent)
        let end = try cpuTicks()
        let expected = 100 * (end.busy - start.busy) / (end.all - start.all)
        #expect(abs(share - expected) <= 5, "spin \(spin): the monitor read \(share)%, /proc/stat \(expected)%")
        if spin { #expect(share >= 80 / Double(start.cpus), "one of \(start.cpus) CPUs was busy all along: \(share)%") }
    }
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
