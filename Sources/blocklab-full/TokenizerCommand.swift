import ArgumentParser
import StoreCommands
import Foundation
import Tokenizer

/// `blocklab tokenizer encode|decode`: inspection, and a pipe for other tools.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Encode text to ids or decode ids to text with a tokenizer directory.",
        subcommands: [TokenizerEncodeCommand.self, TokenizerDecodeCommand.self])
}

/// Reads all of stdin.
func readStandardInput() -> Data { FileHandle.standardInput.readDataToEndOfFile() }

func loadTokenizer(_ directory: String) throws -> BPETokenizer {
    try BPETokenizer.load(directory: directory)
}

/// The lines of `data`, without a final empty line.
func jsonLines(_ data: Data) -> [Substring] {
    var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines
}
