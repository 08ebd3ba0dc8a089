import Foundation

/// A run's configuration: the YAML exactly as given and the resolved config as JSON.
/// Keys that look like credentials are redacted in both before anything reaches the store.
public struct ConfigSnapshot: Sendable {
    public let yaml: String?
    /// The resolved config as a JSON object (UTF-8).
    public let resolvedJSON: Data

    public init(yaml: String?, resolvedJSON: Data) {
        self.yaml = yaml
        self.resolvedJSON = resolvedJSON
    }

    /// A key is secret when its name contains one of these (case-insensitive)...
    public static let secretMarkers = ["api_key", "apikey", "api-key", "password", "passwd", "secret"]
    /// ...or has one of these as a whole word (`api_token`, `authToken`, `hf-token`), so
    /// `target_tokens` or `max_tokens`, which count tokens, stay readable.
    public static let secretWords: Set<String> = ["token", "credential", "credentials"]
    public static let redacted = "[REDACTED]"

    public static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        if secretMarkers.contains(where: { lower.contains($0) }) { return true }
        return words(of: key).contains { secretWords.contains($0) }
    }

    /// The lowercase words of a key: split at anything not a letter or digit and where a
    /// lowercase letter meets an uppercase one (`authToken` -> auth, token).
    static func words(of key: String) -> [String] {
        var words = [String]()
        var current = ""
        var previousWasLower = false
        for character in key {
            guard character.isLetter || character.isNumber else {
                if !current.isEmpty { words.append(current.lowercased()); current = "" }
                previousWasLower = false
                continue
            }
            if character.isUppercase && previousWasLower && !current.isEmpty {
                words.append(current.lowercased())
                current = ""
            }
            current.append(character)
            previousWasLower = character.isLowercase
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        return words
    }

    /// The resolved object with secrets redacted; throws when it is not a JSON object.
    func redactedObject() throws -> JSONValue {
        guard let value = try? JSONValue.parse(resolvedJSON), case .object = value else {
            throw StoreError.invalid("the resolved config must be a JSON object")
        }
        return Self.redact(value)
    }

    private static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var out = [String: JSONValue]()
            for (key, inner) in object {
                out[key] = isSecretKey(key) && inner != .null ? .string(redacted) : redact(inner)
            }
            return .object(out)
        case .array(let array): return .array(array.map(redact))
        default: return value
        }
    }

    /// The YAML with the value of every secret-looking `key: value` line replaced.
    /// Block scalars under a secret key are replaced whole.
    func redactedYAML() -> String? {
        guard let yaml else { return nil }
        var out = [Substring]()
        var skipIndent: Int? = nil
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix(while: { $0 == " " }).count
            if let skip = skipIndent {
                if line.trimmingCharacters(in: .whitespaces).isEmpty || indent > skip { continue }
                skipIndent = nil
            }
            let body = line.dropFirst(indent)
            let entry = body.hasPrefix("- ") ? body.dropFirst(2) : body
            if let colon = entry.firstIndex(of: ":"), !entry.hasPrefix("#") {
                let key = entry[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
                if Self.isSecretKey(key) {
                    let value = entry[entry.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    if value.isEmpty || value.hasPrefix("|") || value.hasPrefix(">") {
                        skipIndent = indent
                        if value.isEmpty { out.append(line); continue }
                    }
                    out.append(line[..<colon] + ": \"\(Self.redacted)\"")
                    continue
                }
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    /// Every leaf of the object as (dotted key, value text, JSON type), sorted by key.
    /// Arrays are leaves (their JSON text); numbers print as people write them: 5e-05, 0.1, 42.
    static func flatten(_ value: JSONValue) -> [(key: String, value: String?, type: String)] {
        var out = [(key: String, value: String?, type: String)]()
        func walk(_ value: JSONValue, _ prefix: String) {
            if case .object(let object) = value, !object.isEmpty {
                for (key, inner) in object { walk(inner, prefix.isEmpty ? key : "\(prefix).\(key)") }
            } else {
                out.append((prefix, value == .null ? nil : value.displayText, value.typeName))
            }
        }
        walk(value, "")
        return out.sorted { $0.key < $1.key }
    }
}
