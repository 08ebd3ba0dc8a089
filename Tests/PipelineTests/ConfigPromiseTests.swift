import Foundation
import Pipeline
import Testing
import Training

/// What the config promises a user who has no config file, or a broken one: the `quick` and
/// `full` profiles are built in (a file may redefine them), an empty `--set` value is an error
/// naming the key, and YAML that does not parse names the line and column.
@Suite struct ConfigPromiseTests {
    @Test func quickAndFullAreBuiltInAndTheRepositoryFileWritesThemOut() throws {
        let builtIn = try PipelineConfig.load(yaml: nil, profile: "quick")
        #expect(builtIn.training.model.preset == "tiny" && builtIn.tokenizer.vocabSize == 1024 && builtIn.dataset.sequenceLength == 129)
        #expect(builtIn.training.training.maxSteps == 150 && builtIn.training.training.baseLearningRate == 2e-3)
        #expect(builtIn.phases == [.analyse, .scrape, .tokenize, .train, .push])
        #expect(builtIn == (try PipelineConfig.load(yaml: repositoryConfig, profile: "quick")),
                "training_config.yaml's quick is the built-in one")
        #expect(try PipelineConfig.load(yaml: nil, profile: "full") == (try PipelineConfig.load(yaml: nil)))
        #expect(try PipelineConfig.load(yaml: repositoryConfig, profile: "full") == (try PipelineConfig.load(yaml: nil, profile: "full")))
        #expect(throws: TrainingError.badConfig("--profile huge: no such profile in the config (profiles: full, quick)")) {
            try PipelineConfig.load(yaml: nil, profile: "huge")
        }
    }

    /// A file's entry replaces the built-in profile of its name whole; other names are added.
    @Test func aConfigFileRedefinesABuiltInProfileOrAddsOne() throws {
        let yaml = """
            profiles:
              quick:
                training.max_steps: 5
              mine:
                model:
                  preset: tiny
            """
        let quick = try PipelineConfig.load(yaml: yaml, profile: "quick")
        #expect(quick.training.training.maxSteps == 5)
        #expect(quick.training.model.preset == "gpt2" && quick.tokenizer.vocabSize == 16_384, "nothing of the built-in quick is left")
        #expect(try PipelineConfig.load(yaml: yaml, profile: "mine").training.model.preset == "tiny")
        #expect(try PipelineConfig.load(yaml: yaml, profile: "full") == (try PipelineConfig.load(yaml: nil)))
        #expect(throws: TrainingError.badConfig("--profile x: no such profile in the config (profiles: quick, mine, full)")) {
            try PipelineConfig.load(yaml: yaml, profile: "x")
        }
    }

    @Test func anEmptySetValueIsAnErrorNamingTheKey() throws {
        #expect(throws: TrainingError.badConfig("--set training.max_steps=: training.max_steps has no value; give one (--set training.max_steps=VALUE), or --set training.max_steps=null to clear it")) {
            try PipelineConfig.load(yaml: nil, overrides: ["training.max_steps="])
        }
        #expect(throws: TrainingError.badConfig("--set model.preset= : model.preset has no value; give one (--set model.preset=VALUE), or --set model.preset=null to clear it")) {
            try PipelineConfig.load(yaml: nil, overrides: ["model.preset= "])
        }
        #expect(throws: TrainingError.badConfig("--set training.max_steps: expected KEY=VALUE, e.g. --set training.max_steps=100")) {
            try PipelineConfig.load(yaml: nil, overrides: ["training.max_steps"])
        }
        // Clearing a key is said so.
        #expect(try PipelineConfig.load(yaml: "training:\n  max_steps: 7\n", overrides: ["training.max_steps=null"]).training.training.maxSteps == nil)
    }

    @Test func yamlThatDoesNotParseNamesTheLineAndColumn() throws {
        let yaml = "training:\n  max_steps: 5\n  seed: [1, 2\nmodel:\n  preset: tiny\n"
        do {
            _ = try PipelineConfig.load(yaml: yaml)
            Issue.record("malformed YAML was accepted")
        } catch let TrainingError.badConfig(message) {
            #expect(message.hasPrefix("line 4, column 6: not valid YAML: "), "\(message)")
            #expect(message.hasSuffix("\n  model:"), "the line it points at: \(message)")
        }
    }
}
