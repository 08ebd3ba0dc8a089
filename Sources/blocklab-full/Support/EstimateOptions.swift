import ArgumentParser
import Foundation
import GitHistory

/// Phase 0's estimate inputs (training_config.yaml's epoch_calculation).
struct EstimateOptions: ParsableArguments {
    @Option(name: .long, help: "Target training tokens for the epoch estimate.") var targetTokens = 20_000_000
    @Option(name: .long, help: "Tokens per training sequence.") var sequenceLength = 2048
    @Option(name: .long, help: "Fewest epochs.") var minEpochs = 3
    @Option(name: .long, help: "Most epochs.") var maxEpochs = 10

    func validate() throws {
        guard targetTokens > 0, sequenceLength > 0 else { throw ValidationError("--target-tokens and --sequence-length must be positive.") }
        guard minEpochs >= 1, minEpochs <= maxEpochs else { throw ValidationError("need 1 <= --min-epochs <= --max-epochs.") }
    }

    var parameters: RepositoryAnalysis.EstimateParameters {
        var parameters = RepositoryAnalysis.EstimateParameters()
        parameters.targetTokens = targetTokens
        parameters.sequenceLength = sequenceLength
        parameters.minEpochs = minEpochs
        parameters.maxEpochs = maxEpochs
        return parameters
    }
}
