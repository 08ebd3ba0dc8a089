import ArgumentParser
import Foundation
import GitHistory
import Pipeline

/// Phase 0's estimate inputs, as overrides of the config's keys: epoch_calculation's
/// target_tokens, min_epochs, max_epochs and dataset.sequence_length. A flag not given keeps
/// the config's value (its default is `TrainingConfig.EpochCalculation`'s and the dataset's).
struct EstimateOptions: ParsableArguments {
    @Option(name: .long, help: "Target training tokens for the epoch estimate (epoch_calculation.target_tokens).") var targetTokens: Int?
    @Option(name: .long, help: "Tokens per training sequence (dataset.sequence_length).") var sequenceLength: Int?
    @Option(name: .long, help: "Fewest epochs (epoch_calculation.min_epochs).") var minEpochs: Int?
    @Option(name: .long, help: "Most epochs (epoch_calculation.max_epochs).") var maxEpochs: Int?

    func validate() throws {
        guard (targetTokens ?? 1) > 0, (sequenceLength ?? 1) > 0 else { throw ValidationError("--target-tokens and --sequence-length must be positive.") }
        let p = parameters
        guard p.minEpochs >= 1, p.minEpochs <= p.maxEpochs else {
            throw ValidationError("need 1 <= --min-epochs (\(p.minEpochs)) <= --max-epochs (\(p.maxEpochs)).")
        }
    }

    /// The flags given, as `KEY=VALUE` overrides.
    var overrides: [String] {
        var flags = FlagOverrides()
        flags.add("epoch_calculation.target_tokens", targetTokens)
        flags.add("dataset.sequence_length", sequenceLength)
        flags.add("epoch_calculation.min_epochs", minEpochs)
        flags.add("epoch_calculation.max_epochs", maxEpochs)
        return flags.list
    }

    /// The built-in config's estimate with these flags (what `validate` checks; the commands
    /// apply `overrides` to the config they read).
    var parameters: RepositoryAnalysis.EstimateParameters {
        var p = PipelineConfig().estimate
        if let targetTokens { p.targetTokens = targetTokens }
        if let sequenceLength { p.sequenceLength = sequenceLength }
        if let minEpochs { p.minEpochs = minEpochs }
        if let maxEpochs { p.maxEpochs = maxEpochs }
        return p
    }
}
