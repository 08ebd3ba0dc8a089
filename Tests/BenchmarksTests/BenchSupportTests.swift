import ArgumentParser
import ExperimentStore
import Foundation
import TestSupport
import Testing
@testable import Benchmarks

@Suite struct MedianTests {
    @Test func oddCountIsTheMiddleValue() { #expect(median([5, 1, 3]) == 3) }
    @Test func evenCountIsTheMeanOfTheMiddlePair() { #expect(median([4, 1, 3, 2]) == 2.5) }
    @Test func emptyIsNaN() { #expect(median([]).isNaN) }
}

@Suite struct BenchReportTests {
    func sample() -> BenchReport {
        var report = BenchReport(peers: ["MLflow": "3.18.0"])
        report["ingest_points_per_s"] = 400_000
        report["mlflow_points_per_s"] = 20_000
        report.compare("ingest points/s", blocklab: 400_000, peer: "MLflow", 20_000, better: .higher)
        report.compare("read ms", blocklab: 2, peer: "MLflow", 5, better: .lower)
        report.compare("read ms, other", blocklab: 2, peer: "trackio", nil, better: .lower)
        report.figure("log call us, \"quoted\"", blocklab: 1.5)
        report.notes.append("a note")
        return report
    }

    /// Ratios are turned so that above 1 favours BlockLab; the peer's version rides beside its name.
    @Test func tableShowsRatiosAndVersions() {
        let lines = sample().render(.table).split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("measure") && lines[0].hasSuffix("ratio"))
        #expect(lines[2].contains("400000") && lines[2].contains("MLflow 3.18.0") && lines[2].hasSuffix("20.00x"))
        #expect(lines[3].hasSuffix("2.50x"))
        #expect(lines[4].hasSuffix("-") && lines[4].contains("trackio"))
        #expect(lines.last == "a note")
    }

    @Test func jsonIsTheFiguresWithPeerVersions() throws {
        let object = try JSONValue.parse(Data(sample().render(.json).utf8))
        #expect(object["ingest_points_per_s"]?.number == 400_000)
        #expect(object["peer_versions"]?["MLflow"] == .string("3.18.0"))
    }

    @Test func csvQuotesFieldsAndKeepsTheRatio() {
        let lines = sample().render(.csv).components(separatedBy: "\r\n")
        #expect(lines[0] == "measure,BlockLab,peer,peer figure,ratio")
        #expect(lines[1] == "ingest points/s,400000,MLflow 3.18.0,20000,20.00x")
        #expect(lines[4] == "\"log call us, \"\"quoted\"\"\",1.50,,,")
    }

    /// `--json` stays a hidden alias of `--format json`; mixing it with another format is refused.
    @Test func jsonFlagIsAnAliasOfFormatJSON() throws {
        #expect(try BenchOutputOptions.parse(["--json"]).chosen == .json)
        #expect(try BenchOutputOptions.parse(["--format", "csv"]).chosen == .csv)
        #expect(try BenchOutputOptions.parse([]).chosen == .table)
        #expect(throws: (any Error).self) { try BenchOutputOptions.parse(["--json", "--format", "csv"]) }
    }
}

@Suite struct ChildProcessTests {
    @Test func outputIsStdoutAndEnvironmentIsPassed() async throws {
        let out = try await ChildProcess.output("/bin/sh", ["-c", "echo \"$BENCH_X\"; echo noise >&2"], environment: ["BENCH_X": "hello"])
        #expect(out == "hello\n")
    }

    /// A failing child's error names the command and carries the end of its stderr.
    @Test func failureCarriesStderr() async throws {
        await #expect { try await ChildProcess.output("/bin/sh", ["-c", "echo the reason >&2; exit 3"]) } throws: { error in
            "\(error)".contains("the reason") && "\(error)".contains("/bin/sh")
        }
    }

    /// Returning false from `consume` stops a child that would print forever.
    @Test func streamStopsEarly() async throws {
        var seen = 0
        let exit = try await ChildProcess.stream("yes", []) { seen += $0.count; return false }
        #expect(seen > 0 && !exit.succeeded)
    }

    @Test func lastJSONLineIsThePeersResult() throws {
        let result = try PythonPeers.result("progress\n{\"a\": 1}\nnot json\n{\"b\": 2}\ntrailing\n", peer: "x")
        #expect(result["b"]?.number == 2 && result["a"] == nil)
        #expect(throws: BenchError.self) { try PythonPeers.result("nothing here", peer: "x") }
    }
}

@Suite struct FreeLoopbackPortTests {
    /// The port handed out is the system's pick (in its ephemeral range, so in host byte
    /// order) and free: a server can listen on it at once.
    @Test func theSystemsPickCanBeServed() throws {
        let port = try Benchmarks.freeLoopbackPort()
        let range = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
            .split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(range.count == 2 && (range[0]...range[1]).contains(port))
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        #expect(bound && listen(descriptor, 1) == 0)
    }
}
