import ArgumentParser
import Benchmarks

/// `blocklab bench ...`: the benchmarks, each in the Benchmarks module, each measuring
/// BlockLab and its peer in one run.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print BlockLab's figures beside a peer's, measured in the same run.",
        subcommands: [BenchStore.self, BenchGit.self, BenchTokenizer.self, BenchTrain.self, BenchUI.self, BenchEmbed.self, BenchCLI.self, BenchHash.self, BenchPython.self]
    )
}
