import ArgumentParser
import StoreCommands
import Foundation
import Tokenizer

/// `blocklab tokenizer decode`: a JSON list of ids on stdin → the text on stdout (raw
/// bytes, as they were encoded); with `--jsonl`, one id list per line in and one JSON
/// string per line out. `--format json` prints the text as a JSON string (one per line with
/// `--jsonl`); `csv` and `table` print `line,text` rows.
struct TokenizerDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode", abstract: "Decode a JSON list of token ids from stdin to text.",
        discussion: "Without --format, the text as it is; --format json (--json) prints JSON strings, csv and table line,text rows.")

    @Option(name: .long, help: ArgumentHelp("Tokenizer directory (OUT/tokenizer, or a Hugging Face one).", valueName: "dir"))
    var tokenizer: String
    @Flag(name: .long, help: "One JSON id list per input line; one JSON string per output line.") var jsonl = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let tokenizer = try loadTokenizer(self.tokenizer)
        let input = readStandardInput()
        let format = output.requested
        func ids(_ text: Substring, _ where_: String) throws -> [Int] {
            guard let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber] else {
                throw CLIError("\(where_) is not a JSON list of ids, e.g. [464, 2068].")
            }
            return list.map(\.intValue)
        }
        do {
            if !jsonl && format == nil {
                let text = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                FileHandle.standardOutput.write(Data(try tokenizer.decodeBytes(try ids(text[...], "stdin"))))
                return
            }
            let texts: [String]
            if jsonl {
                texts = try jsonLines(input).enumerated().map { index, line in try tokenizer.decode(try ids(line, "stdin line \(index + 1)")) }
            } else {
                let text = String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                texts = [try tokenizer.decode(try ids(text[...], "stdin"))]
            }
            var out = ""
            switch format ?? .json {
            case .json:
                for text in texts {
                    let data = try JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])
                    out += String(decoding: data, as: UTF8.self) + "\n"
                }
            case .csv: out = OutputOptions.csv(headers: ["line", "text"], rows: texts.enumerated().map { [String($0 + 1), $1] })
            case .table: out = OutputOptions.table(headers: ["line", "text"], rows: texts.enumerated().map { [String($0 + 1), $1] })
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        } catch let error as TokenizerError {
            throw CLIError(error.message)
        }
    }
}
