import Foundation

extension WordPieceTokenizer {
    /// Reads a BERT tokenizer from a Hugging Face model directory: `vocab.txt` (one token per
    /// line, the line number is the id) and, when present, `tokenizer_config.json`
    /// (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`, the special tokens,
    /// `model_max_length`).
    public static func load(directory: URL) throws -> WordPieceTokenizer {
        let vocabURL = directory.appendingPathComponent("vocab.txt")
        guard let data = FileManager.default.contents(atPath: vocabURL.path) else {
            throw TokenizerError("\(vocabURL.path) is missing: a WordPiece model directory needs vocab.txt (and tokenizer_config.json)")
        }
        var vocabulary = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
        if vocabulary.last == "" { vocabulary.removeLast() }
        vocabulary = vocabulary.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }

        var config: [String: Any] = [:]
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        if let configData = FileManager.default.contents(atPath: configURL.path) {
            guard let object = try? JSONSerialization.jsonObject(with: configData) as? [String: Any] else {
                throw TokenizerError("\(configURL.path) is not a JSON object: restore the file from the model's source")
            }
            config = object
        }
        let lowercase = config["do_lower_case"] as? Bool ?? true
        let normalizer = BertNormalizer(handleChineseChars: config["tokenize_chinese_chars"] as? Bool ?? true,
                                        stripAccents: config["strip_accents"] as? Bool, lowercase: lowercase)
        var specials = SpecialTokens()
        func token(_ key: String) -> String? {
            if let text = config[key] as? String { return text }
            return (config[key] as? [String: Any])?["content"] as? String  // AddedToken objects
        }
        specials.unknown = token("unk_token") ?? specials.unknown
        specials.cls = token("cls_token") ?? specials.cls
        specials.sep = token("sep_token") ?? specials.sep
        specials.pad = token("pad_token") ?? specials.pad
        specials.mask = token("mask_token") ?? specials.mask
        // Hugging Face writes a huge sentinel when a model sets no limit.
        let maxLength = (config["model_max_length"] as? NSNumber).map { $0.doubleValue < 1e9 ? $0.intValue : nil } ?? nil
        do {
            return try WordPieceTokenizer(vocabulary: vocabulary, normalizer: normalizer, specials: specials, modelMaxLength: maxLength)
        } catch let error as TokenizerError {
            throw TokenizerError("\(vocabURL.path): \(error.message)")
        }
    }
}
