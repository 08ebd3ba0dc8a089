import DurableFiles
import Foundation

/// Saving and loading in Hugging Face's formats. A saved directory holds `vocab.json` and
/// `merges.txt` (GPT-2's files), `tokenizer.json` (what `tokenizers.Tokenizer.from_file`
/// reads), `tokenizer_config.json` and `special_tokens_map.json` (what `transformers`'
/// `GPT2TokenizerFast.from_pretrained` reads). Loading prefers `tokenizer.json` and falls
/// back to `vocab.json` + `merges.txt`, so GPT-2's original files load too.
extension BPETokenizer {
    public static let fileNames = ["vocab.json", "merges.txt", "tokenizer.json",
                                   "tokenizer_config.json", "special_tokens_map.json"]

    /// Writes the five files into `directory` (created when missing). Each file is
    /// written whole or not at all.
    public func save(directory: String, modelMaxLength: Int = 2048) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The added tokens are in both vocabularies, as in GPT-2's and Hugging Face's files.
        let vocabEntries = tokens.enumerated().map { "\(jsonString($0.element)): \($0.offset)" }
        let mergeLines = merges.map { "\(tokens[$0.left]) \(tokens[$0.right])" }

        try write("{" + vocabEntries.joined(separator: ", ") + "}\n", to: directory, "vocab.json")
        try write((["#version: 0.2"] + mergeLines).joined(separator: "\n") + "\n", to: directory, "merges.txt")

        let added = addedTokens.map { token in
            "    {\"id\": \(token.id), \"content\": \(jsonString(token.content)), \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": \(token.special)}"
        }
        let byteLevel = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}"
        let tokenizerJSON = """
        {
          "version": "1.0",
          "truncation": null,
          "padding": null,
          "added_tokens": [
        \(added.joined(separator: ",\n"))
          ],
          "normalizer": null,
          "pre_tokenizer": \(byteLevel),
          "post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true},
          "decoder": \(byteLevel),
          "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": null,
            "continuing_subword_prefix": null,
            "end_of_word_suffix": null,
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": \(ignoreMerges),
            "vocab": {\(vocabEntries.joined(separator: ", "))},
            "merges": [\(mergeLines.map(jsonString).joined(separator: ", "))]
          }
        }

        """
        try write(tokenizerJSON, to: directory, "tokenizer.json")

        let eos = endOfTextID != nil ? jsonString(SpecialTokens.endOfText) : "null"
        let additional = addedTokens.filter { $0.special && $0.content != SpecialTokens.endOfText }
            .map { jsonString($0.content) }.joined(separator: ", ")
        let decoderEntries = addedTokens.map { token in
            "    \"\(token.id)\": {\"content\": \(jsonString(token.content)), \"lstrip\": false, \"normalized\": false, \"rstrip\": false, \"single_word\": false, \"special\": \(token.special)}"
        }
        let config = """
        {
          "add_bos_token": false,
          "add_prefix_space": false,
          "added_tokens_decoder": {
        \(decoderEntries.joined(separator: ",\n"))
          },
          "additional_special_tokens": [\(additional)],
          "bos_token": \(eos),
          "eos_token": \(eos),
          "pad_token": \(eos),
          "unk_token": \(eos),
          "clean_up_tokenization_spaces": false,
          "errors": "replace",
          "model_max_length": \(modelMaxLength),
          "tokenizer_class": "GPT2Tokenizer"
        }

        """
        try write(config, to: directory, "tokenizer_config.json")
        let map = """
        {
          "additional_special_tokens": [\(additional)],
          "bos_token": \(eos),
          "eos_token": \(eos),
          "pad_token": \(eos),
          "unk_token": \(eos)
        }

        """
        try write(map, to: directory, "special_tokens_map.json")
    }

    private func write(_ text: String, to directory: String, _ name: String) throws {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
        try DurableFile.write(Data(text.utf8), to: url)
    }

    /// Loads a tokenizer directory (BlockLab's, Hugging Face's or GPT-2's). Throws a
    /// message that names the file when one is missing, corrupt or of an unsupported kind.
    public static func load(directory: String) throws -> BPETokenizer {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TokenizerError("tokenizer directory '\(directory)' does not exist. Pass a directory written by `blocklab tokenize` (OUT/tokenizer) or a Hugging Face tokenizer directory.")
        }
        let tokenizerJSON = (directory as NSString).appendingPathComponent("tokenizer.json")
        if fm.fileExists(atPath: tokenizerJSON) { return try load(tokenizerJSON: tokenizerJSON) }
        return try load(gpt2Directory: directory)
    }

    /// Loads Hugging Face's single-file format (`tokenizer.json`) with a BPE model and the
    /// ByteLevel pre-tokenizer.
    public static func load(tokenizerJSON path: String) throws -> BPETokenizer {
        let root = try readJSONObject(path)
        guard let model = root["model"] as? [String: Any] else { throw corrupt(path, "it has no \"model\" object") }
        if let type = model["type"] as? String, type != "BPE" {
            throw TokenizerError("\(path): the model is \(type), not BPE; BlockLab loads byte-level BPE tokenizers only.")
        }
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw TokenizerError("\(path): it has a normalizer, which BlockLab does not apply; use a tokenizer without one (GPT-2 style).")
        }
        try checkPreTokenizer(root["pre_tokenizer"], path)
        guard let vocab = model["vocab"] as? [String: Any] else { throw corrupt(path, "model.vocab is not an object") }
        let vocabulary = try intValues(vocab, path)
        guard let rawMerges = model["merges"] as? [Any] else { throw corrupt(path, "model.merges is not a list") }
        var merges: [(String, String)] = []
        merges.reserveCapacity(rawMerges.count)
        for (index, merge) in rawMerges.enumerated() {
            if let line = merge as? String, let pair = splitMerge(line) {
                merges.append(pair)
            } else if let parts = merge as? [String], parts.count == 2 {
                merges.append((parts[0], parts[1]))
            } else {
                throw corrupt(path, "merge \(index + 1) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        var added: [AddedToken] = []
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = (entry["id"] as? NSNumber)?.intValue, let content = entry["content"] as? String else {
                throw corrupt(path, "an added token lacks \"id\" or \"content\"")
            }
            added.append(AddedToken(id: id, content: content, special: entry["special"] as? Bool ?? true))
        }
        do {
            return try BPETokenizer(vocabulary: vocabulary, merges: merges, addedTokens: added,
                                    ignoreMerges: model["ignore_merges"] as? Bool ?? false)
        } catch let error as TokenizerError {
            throw TokenizerError("\(path): \(error.message)")
        }
    }

    /// Loads GPT-2's pair of files, with the added tokens named by `tokenizer_config.json`
    /// or `special_tokens_map.json` when present (else `<|endoftext|>` when in the vocabulary).
    static func load(gpt2Directory directory: String) throws -> BPETokenizer {
        let vocabPath = (directory as NSString).appendingPathComponent("vocab.json")
        let mergesPath = (directory as NSString).appendingPathComponent("merges.txt")
        for path in [vocabPath, mergesPath] where !FileManager.default.fileExists(atPath: path) {
            throw TokenizerError("\(directory) has neither tokenizer.json nor \((path as NSString).lastPathComponent); a tokenizer directory needs tokenizer.json, or vocab.json and merges.txt.")
        }
        let vocabulary = try intValues(try readJSONObject(vocabPath), vocabPath)
        guard let mergesData = FileManager.default.contents(atPath: mergesPath),
              let mergesText = String(data: mergesData, encoding: .utf8) else {
            throw corrupt(mergesPath, "it is not UTF-8 text")
        }
        var merges: [(String, String)] = []
        for (index, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty || (index == 0 && line.hasPrefix("#version")) { continue }
            guard let pair = splitMerge(String(line)) else { throw corrupt(mergesPath, "line \(index + 1) is not two tokens separated by one space") }
            merges.append(pair)
        }
        var specials: [String] = []
        let configPath = (directory as NSString).appendingPathComponent("tokenizer_config.json")
        let mapPath = (directory as NSString).appendingPathComponent("special_tokens_map.json")
        if FileManager.default.fileExists(atPath: configPath),
           let decoder = try readJSONObject(configPath)["added_tokens_decoder"] as? [String: [String: Any]] {
            specials = decoder.compactMap { $0.value["content"] as? String }
        } else if FileManager.default.fileExists(atPath: mapPath) {
            for value in try readJSONObject(mapPath).values {
                if let token = value as? String { specials.append(token) }
                if let token = (value as? [String: Any])?["content"] as? String { specials.append(token) }
                for item in value as? [Any] ?? [] {
                    if let token = item as? String { specials.append(token) }
                    if let token = (item as? [String: Any])?["content"] as? String { specials.append(token) }
                }
            }
        } else {
            specials = [SpecialTokens.endOfText]
        }
        var added: [AddedToken] = []
        var seen = Set<String>()
        for token in specials where !seen.contains(token) {
            seen.insert(token)
            if let id = vocabulary[token] { added.append(AddedToken(id: id, content: token)) }
        }
        do {
            return try BPETokenizer(vocabulary: vocabulary, merges: merges, addedTokens: added)
        } catch let error as TokenizerError {
            throw TokenizerError("\(directory): \(error.message)")
        }
    }

    private static func checkPreTokenizer(_ value: Any?, _ path: String) throws {
        var candidates: [[String: Any]] = []
        if let object = value as? [String: Any] {
            if object["type"] as? String == "Sequence" {
                candidates = object["pretokenizers"] as? [[String: Any]] ?? []
            } else {
                candidates = [object]
            }
        }
        guard candidates.count == 1, let byteLevel = candidates.first, byteLevel["type"] as? String == "ByteLevel" else {
            throw TokenizerError("\(path): the pre-tokenizer is not GPT-2's ByteLevel; BlockLab loads byte-level BPE tokenizers only.")
        }
        if byteLevel["add_prefix_space"] as? Bool == true || byteLevel["use_regex"] as? Bool == false {
            throw TokenizerError("\(path): its ByteLevel pre-tokenizer sets add_prefix_space or turns off use_regex, which BlockLab does not support.")
        }
    }

    private static func splitMerge(_ line: String) -> (String, String)? {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    private static func readJSONObject(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError("cannot read \(path); check that it exists and is readable.")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any] else {
            throw corrupt(path, "it is not a JSON object")
        }
        return dictionary
    }

    private static func intValues(_ object: [String: Any], _ path: String) throws -> [String: Int] {
        var result: [String: Int] = [:]
        result.reserveCapacity(object.count)
        for (key, value) in object {
            guard let number = value as? NSNumber else { throw corrupt(path, "the id of '\(key)' is not a number") }
            result[key] = number.intValue
        }
        return result
    }

    private static func corrupt(_ path: String, _ why: String) -> TokenizerError {
        TokenizerError("\(path) is corrupt: \(why). Regenerate it (blocklab tokenize) or point --tokenizer at a valid directory.")
    }
}

/// A JSON string literal for `text` (quotes, backslashes and control characters escaped).
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value):
            out += String(format: "\\u%04X", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
