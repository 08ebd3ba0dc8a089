import Embedding
import Foundation
import TestSupport
import Testing

extension EncoderTests {
    /// A model directory with a file missing or an architecture BlockLab does not run is
    /// refused with a message that names the file or what is supported.
    @Suite(.tags(.model)) struct ModelLoadingTests {
        /// A copy of the default model made of links, with `edit` applied.
        func variant(_ edit: (URL) throws -> Void) throws -> URL {
            let source = try modelDirectory()
            let directory = try makeTemporaryDirectory("blocklab-model")
            for name in ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "modules.json", "sentence_bert_config.json"] {
                try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
            }
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source.appendingPathComponent("1_Pooling/config.json"), to: directory.appendingPathComponent("1_Pooling/config.json"))
            try edit(directory)
            return directory
        }

        func error(loading directory: URL) -> String {
            do {
                _ = try SentenceModel.load(directory: directory)
                return "loaded"
            } catch {
                return "\(error)"
            }
        }

        @Test func missingFileIsNamed() throws {
            let directory = try variant { try FileManager.default.removeItem(at: $0.appendingPathComponent("vocab.txt")) }
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(error(loading: directory).contains("lacks vocab.txt"))
        }

        @Test func otherArchitecturesAreRefused() throws {
            let directory = try variant { dir in
                let url = dir.appendingPathComponent("config.json")
                let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"bert\"", with: "\"gpt2\"")
                try FileManager.default.removeItem(at: url)
                try text.write(to: url, atomically: true, encoding: .utf8)
            }
            defer { try? FileManager.default.removeItem(at: directory) }
            let message = error(loading: directory)
            #expect(message.contains("model_type 'gpt2'") && message.contains("runs BERT models"))
        }

        @Test func maxPoolingIsRefusedAndCLSPoolingDiffers() throws {
            let maxPooling = try variant { dir in
                try #"{"word_embedding_dimension": 384, "pooling_mode_max_tokens": true}"#.write(
                    to: dir.appendingPathComponent("1_Pooling/config.json"), atomically: true, encoding: .utf8)
            }
            defer { try? FileManager.default.removeItem(at: maxPooling) }
            #expect(error(loading: maxPooling).contains("pooling_mode_max_tokens"))
            let cls = try variant { dir in
                try #"{"word_embedding_dimension": 384, "pooling_mode_cls_token": true}"#.write(
                    to: dir.appendingPathComponent("1_Pooling/config.json"), atomically: true, encoding: .utf8)
            }
            defer { try? FileManager.default.removeItem(at: cls) }
            let clsModel = try SentenceModel.load(directory: cls)
            let meanModel = try SentenceModel.load(directory: try modelDirectory())
            #expect(clsModel.pooling == .cls)
            let a = try TextEmbedder(model: clsModel).embed(["Fix the parser"])[0]
            let b = try TextEmbedder(model: meanModel).embed(["Fix the parser"])[0]
            #expect(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } < 0.99)
        }

        @Test func defaultDirectoryMissingNamesTheSetUp() throws {
            let message = error(loading: URL(fileURLWithPath: "/nonexistent/model"))
            #expect(message.contains("/nonexistent/model") && message.contains("--model"))
        }
    }
}
