import Foundation
import TestSupport
import GitHistory
import Pipeline
import Tokenizer
import Testing
import Training

@Suite struct PipelineConfigTests {
    @Test func theRepositoryConfigIsTheDefaults() throws {
        let file = try PipelineConfig.load(yaml: repositoryConfig)
        // Every key of the file is known, and its values are the built-in defaults (written once).
        #expect(file == (try PipelineConfig.load(yaml: nil)))
        #expect(file.training.training.baseLearningRate == 5e-5)   // written 5e-5: YAML 1.1 calls it a string
        #expect(file.training.training.adamEpsilon == 1e-8)
        #expect(file.training.epochCalculation.targetTokens == 20_000_000)
        #expect(file.tokenizer.vocabSize == 16_384 && file.dataset.sequenceLength == 2048)
        #expect(file.phases == PhaseName.allCases)
        #expect(file.qdrant.url == nil && file.store.path == nil && file.output.directory == "reports")
    }

    @Test func profilesApplyAfterTheFileAndSetAfterTheProfile() throws {
        let quick = try PipelineConfig.load(yaml: repositoryConfig, profile: "quick", overrides: ["training.max_steps=7"])
        #expect(quick.training.model.preset == "tiny")
        #expect(quick.tokenizer.vocabSize == 1024)
        #expect(quick.training.training.baseLearningRate == 2e-3)
        #expect(quick.training.training.maxSteps == 7)
        #expect(quick.phases == [.analyse, .scrape, .tokenize, .train, .push])
        #expect(quick.training.training.warmupStepsMax == 1000, "keys the profile leaves alone keep the file's value")
        #expect(try PipelineConfig.load(yaml: repositoryConfig, profile: "full") == (try PipelineConfig.load(yaml: repositoryConfig)))
        #expect(throws: TrainingError.badConfig("--profile tiny: no such profile in the config (profiles: full, quick)")) {
            try PipelineConfig.load(yaml: repositoryConfig, profile: "tiny")
        }
    }

    @Test func unknownKeysAndWrongTypesNameTheKeyAndTheType() {
        #expect(throws: TrainingError.badConfig("unknown config key scrape.max_patch (known keys in scrape: chunk_lines, chunk_overlap, detect_renames, include_file_chunks, include_patch, max_file_bytes, max_patch_bytes_per_commit, max_patch_bytes_per_file, rename_limit, workers)")) {
            try PipelineConfig.load(yaml: "scrape:\n  max_patch: 3\n")
        }
        #expect(throws: TrainingError.badConfig("scrape.workers: expected an integer or auto, got \"many\"")) {
            try PipelineConfig.load(yaml: nil, overrides: ["scrape.workers=many"])
        }
        #expect(throws: TrainingError.badConfig("scrape.include_patch: expected true or false, got 3")) {
            try PipelineConfig.load(yaml: nil, overrides: ["scrape.include_patch=3"])
        }
        #expect(throws: TrainingError.badConfig("pipeline.phases: deploy is not a phase (phases: analyse, scrape, tokenize, embed, train, push)")) {
            try PipelineConfig.load(yaml: nil, overrides: ["pipeline.phases=scrape,deploy"])
        }
        #expect(throws: TrainingError.badConfig("unknown config key unknown.key (sections are repository, scrape, tokenizer, dataset, embeddings, model, training, epoch_calculation, hardware_monitoring, qdrant, store, output, pipeline)")) {
            try PipelineConfig.load(yaml: nil, overrides: ["unknown.key=1"])
        }
    }

    @Test func quotedAndUnquotedExponentsAreNumbers() throws {
        let a = try PipelineConfig.load(yaml: "training:\n  base_learning_rate: 3e-4\ndataset:\n  validation_fraction: \"2e-1\"\n")
        #expect(a.training.training.baseLearningRate == 3e-4 && a.dataset.validationFraction == 0.2)
    }

    @Test func theResolvedConfigHasEverySectionAndNoAutoThreads() throws {
        let resolved = try PipelineConfig.load(yaml: repositoryConfig).resolvingThreads()
        let object = try #require(try JSONSerialization.jsonObject(with: try resolved.resolvedJSON()) as? [String: Any])
        #expect(Set(object.keys) == Set(PipelineConfig.ownSections + ["model", "training", "epoch_calculation", "hardware_monitoring"]))
        let scrape = try #require(object["scrape"] as? [String: Any])
        #expect(scrape["workers"] as? Int == ProcessInfo.processInfo.activeProcessorCount)
        #expect((object["qdrant"] as? [String: Any])?["url"] is NSNull)
    }

    /// The standalone trainer reads its four sections of the same file and accepts the rest.
    @Test func theTrainerReadsItsSectionsOfThePipelineFile() throws {
        let training = try TrainingConfig.load(yaml: repositoryConfig, profile: "quick", otherSections: PipelineConfig.ownSections)
        #expect(training == (try PipelineConfig.load(yaml: repositoryConfig, profile: "quick")).training)
        #expect(throws: TrainingError.self) { try TrainingConfig.load(yaml: repositoryConfig) }
    }

    /// Every key the file sets (outside `profiles`, whose entries are keys documented above)
    /// has its comment on its line; every one is read (`load` rejects a key nobody read).
    @Test func everyKeyOfTheFileIsDocumentedWhereItIsSet() throws {
        var undocumented: [String] = []
        for line in repositoryConfig.split(separator: "\n") {
            if line.hasPrefix("profiles:") { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            // Section headers (`training:`) and keys alike; a header's comment is optional.
            guard !text.hasPrefix("#"), let colon = text.firstIndex(of: ":") else { continue }
            if text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if !text.contains("#") { undocumented.append(text) }
        }
        #expect(undocumented.isEmpty, "keys without a comment: \(undocumented)")
        _ = try PipelineConfig.load(yaml: repositoryConfig)
    }

    /// The sections' defaults are the libraries' own (each written once, there).
    @Test func theDefaultsAreThePhasesOwn() {
        let d = PipelineConfig()
        let scrape = ScrapeOptions(), dataset = DatasetBuilder.Options()
        #expect(d.scrape.maxPatchBytesPerFile == scrape.maxPatchBytesPerFile && d.scrape.maxFileBytes == scrape.maxFileBytes
                && d.scrape.chunkLines == scrape.chunkLines && d.scrape.renameLimit == scrape.renameLimit)
        #expect(d.tokenizer.vocabSize == dataset.vocabularySize && d.dataset.sequenceLength == dataset.sequenceLength
                && d.dataset.validationFraction == dataset.validationFraction && d.dataset.seed == Int(dataset.seed))
        // What phase 2 is given is the section, whatever the library's default.
        let options = (try? PipelineConfig.load(yaml: nil, overrides: ["tokenizer.vocab_size=500", "epoch_calculation.max_epochs=4"]))?.datasetOptions()
        #expect(options?.vocabularySize == 500 && options?.maxEpochs == 4)
    }

    /// A phase's command checks its keys but not one phase's against another's: `train`
    /// takes the sequence length from its dataset, not from `dataset.sequence_length`.
    @Test func aPhaseAloneLeavesOutTheChecksAcrossPhases() throws {
        let small = ["model.n_positions=32"]
        #expect(throws: TrainingError.badConfig("dataset.sequence_length 2048 is above model.n_positions 32 + 1: lower the one or raise the other")) {
            try PipelineConfig.load(yaml: repositoryConfig, overrides: small)
        }
        #expect(try PipelineConfig.load(yaml: repositoryConfig, overrides: small, alone: true).training.model.nPositions == 32)
        #expect(throws: TrainingError.self) { try PipelineConfig.load(yaml: repositoryConfig, overrides: ["scrape.workers=0"], alone: true) }
    }
}
