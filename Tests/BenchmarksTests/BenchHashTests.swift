import ExperimentStore
import Foundation
import TestSupport
import Testing
@testable import Benchmarks

/// `bench hash` on a small file, against the real `sha256sum`; serialized, as each run
/// works in the one folder this process gets (`withWorkDirectory`).
@Suite(.serialized) struct BenchHashTests {
    static func small(_ extra: [String]) -> [String] { ["--size-mib", "3", "--repeats", "2"] + extra }

    /// Both rates are positive, the JSON has its keys and the peer's version, the table sets
    /// BlockLab beside sha256sum.
    @Test func figuresArePositiveAndTheJSONHasItsKeys() async throws {
        let report = try await BenchHash.parse(Self.small([])).measure()
        #expect((report["sha256_mib_per_s"] ?? 0) > 0 && (report["sha256sum_mib_per_s"] ?? 0) > 0)
        #expect(report["bytes"] == Double(3 << 20))
        let json = try JSONValue.parse(Data(report.render(.json).utf8))
        guard case .string(let version)? = json["peer_versions"]?["sha256sum"] else { Issue.record("no sha256sum version"); return }
        #expect(version.first?.isNumber == true, "\(version)")
        #expect(report.render(.table).contains("SHA-256 of a file, MiB/s"))
    }

    /// `--file` hashes that file; a peer that prints another digest fails the check, by name.
    @Test func digestsMustAgree() async throws {
        let dir = TempDir()
        try Data("abc".utf8).write(to: URL(fileURLWithPath: dir.file("abc.txt")))
        let report = try await BenchHash.parse(["--file", dir.file("abc.txt"), "--repeats", "1"]).measure()
        #expect(report["bytes"] == 3)
        let liar = dir.file("lying-sha256sum")
        try Data("#!/bin/sh\n[ \"$1\" = --version ] && echo 'sha256sum (fake) 0.0' && exit 0\necho \"\(String(repeating: "0", count: 64))  $1\"\n".utf8)
            .write(to: URL(fileURLWithPath: liar))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: liar)
        await #expect { try await BenchHash.parse(["--file", dir.file("abc.txt"), "--sha256sum", liar]).measure() } throws: { error in
            "\(error)".contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad is not sha256sum's")
        }
    }

    /// A missing peer or file is named with the fix.
    @Test func missingPeerAndFileAreNamed() async throws {
        await #expect { try await BenchHash.parse(Self.small(["--sha256sum", "no-such-sha256sum"])).measure() } throws: { error in
            "\(error)".contains("`no-such-sha256sum` is not installed")
        }
        await #expect { try await BenchHash.parse(["--file", "/nonexistent/file.bin"]).measure() } throws: { error in
            "\(error)".contains("--file /nonexistent/file.bin is not a readable")
        }
    }
}
