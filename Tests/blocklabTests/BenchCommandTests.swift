import Foundation
import TestSupport
import Testing

/// `blocklab bench` lists every benchmark; each takes `--format`, and `--json` still works.
@Suite struct BenchCommandTests {
    /// Every benchmark the README lists (`bench store|git|tokenizer|train|embed|ui|cli|hash`),
    /// and only those, is a subcommand in the help.
    @Test func listsEveryBenchmark() throws {
        let help = try CLI.run(["bench", "--help"])
        #expect(help.status == 0)
        let after = help.stdout.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first ?? ""
        let section = after.components(separatedBy: "\n\n").first ?? ""   // up to the blank line
        let listed = section.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        let all = ["store", "git", "tokenizer", "train", "ui", "embed", "cli", "hash", "python"]
        #expect(listed == all, "bench --help lists \(listed)\n\(help.stdout)")
        for name in all {
            let sub = try CLI.run(["bench", name, "--help"])
            #expect(sub.status == 0 && sub.stdout.contains("--format <format>") && !sub.stdout.contains("--json"), "\(name): \(sub.stdout)")
        }
        let mixed = try CLI.run(["bench", "store", "--json", "--format", "csv"])
        #expect(mixed.status == 64 && mixed.stderr.contains("--json means --format json"))
    }
}
