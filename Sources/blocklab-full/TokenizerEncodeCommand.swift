import ArgumentParser
import StoreCommands
import Foundation
import Tokenizer

/// `blocklab tokenizer encode`: stdin text → a JSON list of ids on stdout; with `--jsonl`,
/// each input line is a JSON string and each output line its list of ids. With `--format
/// csv` or `table`: one row per token (`line,position,id,token`; `line` is the input line
/// with `--jsonl`, else 1; `token` is the token's text, U+FFFD where it holds part of a
/// character).
struct TokenizerEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode", abstract: "Encode stdin to token ids (a JSON list).",
        discussion: "--format json (the default; --json) prints id lists; csv and table a row per token (line,position,id,token).")

    @Option(name: .long, help: ArgumentHelp("Tokenizer directory (OUT/tokenizer, or a Hugging Face one).", valueName: "dir"))
    var tokenizer: String
    @Flag(name: .long, help: "One JSON string per input line; one id list per output line.") var jsonl = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let tokenizer = try loadTokenizer(self.tokenizer)
        let input = readStandardInput()
        var lists: [[Int]]
        if jsonl {
            var texts: [String] = []
            for (index, line) in jsonLines(input).enumerated() {
                guard let text = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? String else {
                    throw CLIError("stdin line \(index + 1) is not a JSON string; with --jsonl each line must be one, e.g. \"let x = 1\\n\".")
                }
                texts.append(text)
            }
            lists = tokenizer.encodeBatch(texts).map { $0.map(Int.init) }
        } else {
            lists = [tokenizer.encode(bytes: [UInt8](input))]
        }
        let format = output.requested ?? .json
        switch format {
        case .json where jsonl:
            FileHandle.standardOutput.write(Data(lists.map { "[" + $0.map(String.init).joined(separator: ",") + "]\n" }.joined().utf8))
        case .json:
            print("[" + lists[0].map(String.init).joined(separator: ", ") + "]")
        case .csv, .table:
            var rows = [[String?]]()
            for (line, ids) in lists.enumerated() {
                for (position, id) in ids.enumerated() {
                    rows.append([String(line + 1), String(position), String(id), try? tokenizer.decode([id])])
                }
            }
            let headers = ["line", "position", "id", "token"]
            let text = format == .csv ? OutputOptions.csv(headers: headers, rows: rows) : OutputOptions.table(headers: headers, rows: rows)
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
