import ArgumentParser
import StoreCommands
import Foundation
import Tokenizer
import Torch
import Training

/// `blocklab generate`: load a model directory and continue a prompt.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a model directory written by `blocklab train`.")

    @Option(name: .long, help: ArgumentHelp("Model directory (config.json, model.safetensors, tokenizer files).", valueName: "dir"))
    var model: String
    @Option(name: .long, help: "The text to continue.") var prompt: String
    @Option(name: .long, help: "Tokens to generate.") var maxTokens = 64
    @Option(name: .long, help: "Sampling temperature; 0 is greedy decoding.") var temperature = 1.0
    @Option(name: .long, help: "Sample among the K most likely tokens.") var topK: Int?
    @Option(name: .long, help: "Sample among the most likely tokens whose probability reaches P.") var topP: Double?
    @Option(name: .long, help: "Seed of the sampler.") var seed: UInt64 = 42
    @Option(name: .long, help: "auto, cpu or cuda.") var device: Device = .auto
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be 0 (greedy) or positive") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if let topK, topK <= 0 { throw ValidationError("--top-k must be positive") }
    }

    func run() throws {
        try Torch.setThreads(ProcessInfo.processInfo.activeProcessorCount)
        let dir = URL(fileURLWithPath: model)
        // The model folder first: it holds the tokenizer too, so a mistyped --model is named as such.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("no model folder at \(model): pass --model with a folder `blocklab train` wrote (OUT/best, OUT/last or "
                           + "OUT/step-N; the pipeline's are in reports/<name>-<run id>/model/)", status: .notFound)
        }
        let tokenizer = try BPETokenizer.load(directory: model)
        let gpt = try ModelDirectory.loadModel(from: dir, device: device)
        let promptIDs = tokenizer.encode(prompt)
        guard !promptIDs.isEmpty else { throw CLIError("the prompt encodes to no tokens: pass a non-empty --prompt") }
        if let bad = promptIDs.first(where: { $0 >= gpt.config.vocabSize }) {
            throw CLIError("the tokenizer in \(model) produced id \(bad), outside the model's vocabulary of \(gpt.config.vocabSize)")
        }
        var options = SamplingOptions()
        options.maxTokens = maxTokens
        options.temperature = temperature
        options.topK = topK
        options.topP = topP
        options.seed = seed
        options.stopTokenID = tokenizer.endOfTextID
        let generated = try Generator.generate(model: gpt, prompt: promptIDs, options: options)
        // The text leaves out a final end-of-text token; the ids keep it.
        let shown = generated.last == tokenizer.endOfTextID && tokenizer.endOfTextID != nil ? Array(generated.dropLast()) : generated
        let text = try tokenizer.decode(shown)
        // json and csv: the prompt ids, the generated ids and the text; table: the prompt and its continuation.
        struct Output: Encodable { let prompt: String; let promptIds: [Int]; let generatedIds: [Int]; let text: String }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try output.printRecord(json: try encoder.encode(Output(prompt: prompt, promptIds: promptIDs, generatedIds: generated, text: text))) {
            print(prompt + text)
        }
    }
}
