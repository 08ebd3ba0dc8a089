import Foundation
import TestSupport
import Testing

/// `blocklab bench` lists every benchmark; each takes `--format`, and `--json` still works.
@Suite struct BenchCommandTests {
    @Test func listsEveryBenchmark() throws {
        let help = try CLI.run(["bench", "--help"])
        #expect(help.status == 0)
        for name in ["store", "git", "tokenizer", "train", "embed", "cli"] {
            #expect(help.stdout.contains("\n  \(name) "), "\(name) missing from\n\(help.stdout)")
            let sub = try CLI.run(["bench", name, "--help"])
            #expect(sub.status == 0 && sub.stdout.contains("--format <format>") && !sub.stdout.contains("--json"), "\(name): \(sub.stdout)")
        }
        let mixed = try CLI.run(["bench", "store", "--json", "--format", "csv"])
        #expect(mixed.status == 64 && mixed.stderr.contains("--json means --format json"))
    }
}
