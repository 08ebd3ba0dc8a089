import ExperimentStore
import Foundation
import Tokenizer

/// Phase 2: a byte-level BPE trained on the scrape, and the training sequences
/// (`tokenizer/`, `train.bin`, `val.bin`, `dataset.json` in a directory), with the epochs
/// recomputed from the real token count. Stats: `TokenizeStats`.
public struct TokenizePhase {
    public struct Inputs {
        /// JSONL files written by the scrape.
        public var files: [URL]
        public var directory: URL
        public var options: DatasetBuilder.Options
        public init(files: [URL], directory: URL, options: DatasetBuilder.Options) {
            self.files = files
            self.directory = directory
            self.options = options
        }
    }

    public struct Outputs {
        /// `dataset.json` as written; nil for a reused dataset.
        public var manifest: DatasetManifest?
        public var directory: URL
        public var files: [PhaseOutput] {
            BPETokenizer.fileNames.map {
                PhaseOutput(name: "tokenizer/\($0)", path: directory.appendingPathComponent("tokenizer/\($0)").path, kind: "tokenizer")
            } + ["train.bin", "val.bin", "dataset.json"].map {
                PhaseOutput(name: $0, path: directory.appendingPathComponent($0).path, kind: "dataset")
            }
        }

        /// The outputs of an earlier run's tokenize, from its `outputs` list.
        public init(reusing outputs: [PhaseOutput]) throws {
            guard let manifest = outputs.first(where: { $0.name == "dataset.json" }) else {
                throw PipelineError("the earlier tokenize lists no dataset.json")
            }
            directory = URL(fileURLWithPath: manifest.path).deletingLastPathComponent()
        }

        init(manifest: DatasetManifest, directory: URL) {
            self.manifest = manifest
            self.directory = directory
        }
    }

    public static let name = PhaseName.tokenize
    public let inputs: Inputs
    public init(_ inputs: Inputs) { self.inputs = inputs }

    public func run(_ phase: PhaseRecorder?, progress: PipelineProgress) throws -> Outputs {
        let manifest: DatasetManifest
        do {
            manifest = try DatasetBuilder(inputs.options).build(
                inputs: inputs.files.map(\.path), output: inputs.directory.path,
                sha256: { try ExperimentStore.sha256(ofFile: $0).hex },
                progress: { progress.note("\(Self.name.rawValue): \($0)") })
        } catch let error as TokenizerError {
            throw PipelineError(error.message)
        }
        try phase?.record(stats: TokenizeStats(manifest))
        return Outputs(manifest: manifest, directory: inputs.directory)
    }
}
