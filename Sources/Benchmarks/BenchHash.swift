import ArgumentParser
import ExperimentStore
import Foundation

/// `blocklab bench hash`: the SHA-256 of one file the way the store checksums checkpoints and
/// artifacts (`ExperimentStore.sha256(ofFile:)`, 1 MiB blocks), beside GNU `sha256sum` on the
/// same file, in MiB/s.
///
/// The file is written once with pseudo-random bytes (or named with `--file`) and read once
/// untimed by each side, which warms the page cache and checks that both print the same
/// digest; then the two take turns for `--repeats` rounds, so both see the same load. The
/// figure is the median; BlockLab's side runs in this process, `sha256sum` as a child (its
/// spawn, under 2 ms, is inside its time).
public struct BenchHash: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hash", abstract: "Benchmark the store's file checksum (SHA-256 in 1 MiB blocks) vs. sha256sum, in MiB/s.")

    @Option(help: "Size of the file written and hashed, in MiB.") var sizeMib = 1024
    @Option(help: ArgumentHelp("Hash this file instead of writing one.", valueName: "path")) var file: String?
    @Option(help: "Timed runs of each side (the median is reported).") var repeats = 5
    @Option(help: ArgumentHelp("GNU coreutils' sha256sum.", valueName: "path")) var sha256sum = "sha256sum"
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    public func validate() throws {
        guard sizeMib >= 1, repeats >= 1 else { throw ValidationError("--size-mib and --repeats must be at least 1.") }
    }

    public func run() async throws {
        print(try await measure().render(output.chosen), terminator: "")
    }

    /// Writes or checks the file, checks both digests agree, times both sides; nothing printed on stdout.
    func measure() async throws -> BenchReport {
        let progress = BenchProgress("hash")
        guard let peer = await ChildProcess.locate(sha256sum) else {
            throw BenchError("bench hash compares against sha256sum, and `\(sha256sum)` is not installed: "
                             + "`sudo apt-get install coreutils`, or pass --sha256sum PATH.")
        }
        let version = try await ChildProcess.output(peer, ["--version"]).split(separator: "\n").first
            .flatMap { $0.split(separator: " ").last }.map(String.init) ?? "unknown"
        return try await withWorkDirectory("hash") { work in
            let path = file ?? work.appendingPathComponent("hash.bin").path
            if file == nil { try Self.writeFile(at: path, mebibytes: sizeMib, progress: progress) }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let bytes = (attributes[.size] as? NSNumber)?.int64Value, bytes > 0 else {
                throw BenchError("--file \(path) is not a readable, non-empty file: name one, or leave --file out to hash a written one.")
            }
            progress.say("one untimed run of each side, checking the digests agree")
            let ours = try ExperimentStore.sha256(ofFile: path).hex
            let theirs = try await Self.peerDigest(peer, path)
            guard ours == theirs else { throw BenchError("benchmark check failed: BlockLab's SHA-256 \(ours) is not sha256sum's \(theirs)") }

            var times: (ours: [Double], peer: [Double]) = ([], [])
            let meter = progress.meter("hashing \(bytes >> 20) MiB, the sides taking turns", total: repeats, unit: "rounds")
            for round in 0..<repeats {
                let start = BenchClock.now()
                _ = try ExperimentStore.sha256(ofFile: path)
                times.ours.append(BenchClock.now() - start)
                let peerStart = BenchClock.now()
                _ = try await Self.peerDigest(peer, path)
                times.peer.append(BenchClock.now() - peerStart)
                meter.update(round + 1)
            }
            let mebibytes = Double(bytes) / Double(1 << 20)
            var report = BenchReport(peers: ["sha256sum": version])
            report["sha256_mib_per_s"] = mebibytes / median(times.ours)
            report["sha256sum_mib_per_s"] = mebibytes / median(times.peer)
            report.figures["bytes"] = .int(bytes)
            report.figures["repeats"] = .int(Int64(repeats))
            report.compare("SHA-256 of a file, MiB/s", blocklab: report["sha256_mib_per_s"], peer: "sha256sum",
                           report["sha256sum_mib_per_s"], better: .higher)
            report.notes.append("median of \(repeats) runs each of \(bytes) bytes (page cache warm), the sides taking turns; ratio above 1 favours BlockLab")
            report.notes.append("load average at the end: \(BenchCLI.loadAverage())")
            return report
        }
    }

    /// `sha256sum PATH` → its digest (the first word).
    static func peerDigest(_ peer: String, _ path: String) async throws -> String {
        String(try await ChildProcess.output(peer, [path]).split(separator: " ").first ?? "")
    }

    /// `mebibytes` MiB of xorshift bytes: cheap to make, and nothing a hash could shortcut.
    static func writeFile(at path: String, mebibytes: Int, progress: BenchProgress) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw BenchError("cannot create \(path): check the temporary folder's space and permissions.")
        }
        defer { try? handle.close() }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var block = [UInt64](repeating: 0, count: (1 << 20) / 8)
        let meter = progress.meter("writing the file", total: mebibytes, unit: "MiB")
        for written in 0..<mebibytes {
            for index in block.indices {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                block[index] = state
            }
            try handle.write(contentsOf: block.withUnsafeBytes { Data($0) })
            meter.update(written + 1)
        }
    }
}
