import ArgumentParser
import Foundation
import Tokenizer

/// `blocklab tokenizer encode`: stdin text → a JSON list of ids on stdout; with `--jsonl`,
/// each input line is a JSON string and each output line its list of ids.
struct TokenizerEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode", abstract: "Encode stdin to token ids (a JSON list).")

    @Option(name: .long, help: ArgumentHelp("Tokenizer directory (OUT/tokenizer, or a Hugging Face one).", valueName: "dir"))
    var tokenizer: String
    @Flag(name: .long, help: "One JSON string per input line; one id list per output line.") var jsonl = false

    func run() throws {
        let tokenizer = try loadTokenizer(self.tokenizer)
        let input = readStandardInput()
        guard jsonl else {
            print("[" + tokenizer.encode(bytes: [UInt8](input)).map(String.init).joined(separator: ", ") + "]")
            return
        }
        var texts: [String] = []
        for (index, line) in jsonLines(input).enumerated() {
            guard let text = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? String else {
                throw CLIError("stdin line \(index + 1) is not a JSON string; with --jsonl each line must be one, e.g. \"let x = 1\\n\".")
            }
            texts.append(text)
        }
        var out = ""
        for ids in tokenizer.encodeBatch(texts) { out += "[" + ids.map(String.init).joined(separator: ",") + "]\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
