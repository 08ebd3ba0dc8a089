import TestSupport
import ArgumentParser
import ExperimentStore
import Testing
@testable import Benchmarks

@Suite struct BenchTrainRanksTests {
    /// `--nproc` must split the global batch of 8 evenly among at least 2 ranks.
    @Test func ranksThatCannotShareTheBatchAreRefused() throws {
        #expect(try BenchTrain.parse(["--nproc", "2"]).nproc == 2)
        #expect(try BenchTrain.parse(["--nproc", "4", "--format", "csv"]).output.chosen == .csv)
        for bad in ["1", "3", "16"] {
            #expect(throws: (any Error).self) { try BenchTrain.parse(["--nproc", bad]) }
        }
        #expect(throws: (any Error).self) { try BenchTrain.parse(["--worker", "ranks", "--work", "/tmp"]) }
    }

    /// A side's throughput comes from rank 0's step times; its peak RSS is the largest rank's.
    @Test func aSideTakesRankZerosStepsAndTheLargestPeak() {
        var side = BenchTrain.RankSide()
        side.add([["step_times": .array([.double(1), .double(3)]), "step_cpu_times": .array([.double(0.5)]), "peak_rss_bytes": .double(100)],
                  ["peak_rss_bytes": .double(300)]])
        side.add([["step_times": .array([.double(2)]), "peak_rss_bytes": .double(200)], ["peak_rss_bytes": .double(50)]])
        #expect(side.steps == [1, 3, 2])
        #expect(side.cpu == [0.5])
        #expect(side.peakRSS == 300)
        #expect(median(side.steps) == 2)
    }
}
