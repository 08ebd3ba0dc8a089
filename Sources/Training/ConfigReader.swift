import Foundation
import Yams

/// Reads a YAML config as flat dotted keys (`training.base_learning_rate`) with typed
/// accessors. Every read marks its key; `finish()` rejects keys nobody read. Numbers are
/// quote-tolerant (`5e-5`, which YAML 1.1 resolves as a string, and `"5e-5"` are numbers).
///
/// Layers, last wins: the file, then the chosen profile of its `profiles` section (a mapping
/// of profile names to keys, nested or dotted) or of the caller's built-in profiles, then
/// `--set KEY=VALUE` overrides (an empty value is an error, not null). A file that is not
/// YAML is an error naming the line and column.
///
///     var r = try ConfigReader(yaml: text, profile: "quick", overrides: ["training.max_steps=5"])
///     let steps = try r.optionalInt("training.max_steps")
///     try r.finish()
public struct ConfigReader {
    private var values: [String: Any] = [:]
    private var read: Set<String> = []
    private var readOrder: [String] = []
    /// Profile names: the file's, in file order, then the built-in ones it does not redefine.
    public private(set) var profiles: [String] = []

    /// `yaml` may be nil (all defaults). `overrides` are `KEY=VALUE` strings (`--set`).
    /// `profile` names an entry of the file's `profiles` section, or of `builtInProfiles`
    /// (dotted keys; the profiles every config has), whose entries the file's replace by name.
    public init(yaml: String?, profile: String? = nil, overrides: [String], builtInProfiles: [String: [String: Any]] = [:]) throws {
        var entries = builtInProfiles
        var malformed: [String: String] = [:]   // a profile that is not a mapping: what it is
        var fileProfiles: [String] = []
        if let yaml, !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let root: Any?
            do { root = try Yams.load(yaml: yaml) } catch {
                throw TrainingError.badConfig(Self.describe(yamlError: error))
            }
            if let root, !(root is NSNull) {
                guard var mapping = root as? [AnyHashable: Any] else {
                    throw TrainingError.badConfig("the config must be a mapping of sections (repository, scrape, tokenizer, dataset, embeddings, model, training, ...)")
                }
                if let section = mapping.removeValue(forKey: "profiles"), !(section is NSNull) {
                    guard let fileEntries = section as? [AnyHashable: Any] else {
                        throw TrainingError.badConfig("profiles: expected a mapping of profile names to keys, got \(Self.describe(section))")
                    }
                    fileProfiles = Self.fileOrder(of: fileEntries.keys.map { "\($0)" }, in: yaml)
                    for (name, keys) in fileEntries {
                        var flat: [String: Any] = [:]
                        if let keys = keys as? [AnyHashable: Any] { try Self.flatten(keys, prefix: "", into: &flat) }
                        else if !(keys is NSNull) { malformed["\(name)"] = Self.describe(keys) }
                        entries["\(name)"] = flat
                    }
                }
                try Self.flatten(mapping, prefix: "", into: &values)
            }
        }
        profiles = fileProfiles + builtInProfiles.keys.sorted().filter { !fileProfiles.contains($0) }
        if let profile {
            guard let chosen = entries[profile] else {
                throw TrainingError.badConfig(profiles.isEmpty
                    ? "--profile \(profile): the config defines no profiles" + (yaml == nil ? " (no config file was read; pass --config FILE)" : "")
                    : "--profile \(profile): no such profile in the config (profiles: \(profiles.joined(separator: ", ")))")
            }
            if let what = malformed[profile] {
                throw TrainingError.badConfig("profiles.\(profile): expected a mapping of keys, got \(what)")
            }
            for (key, value) in chosen { values[key] = value }
        }
        for override in overrides {
            guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
                throw TrainingError.badConfig("--set \(override): expected KEY=VALUE, e.g. --set training.max_steps=100")
            }
            let key = String(override[..<eq])
            let text = String(override[override.index(after: eq)...])
            // An empty value is a slip (a shell variable that was unset), not a request to
            // clear the key: `--set training.max_steps=` must not train without a cap.
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw TrainingError.badConfig("--set \(override): \(key) has no value; give one (--set \(key)=VALUE), or --set \(key)=null to clear it")
            }
            let value = (try? Yams.load(yaml: text)).flatMap { $0 } ?? text
            values[key] = value is [AnyHashable: Any] || value is [Any] ? text : value
        }
    }

    private static func flatten(_ mapping: [AnyHashable: Any], prefix: String, into values: inout [String: Any]) throws {
        for (k, v) in mapping {
            let key = prefix + "\(k)"
            if let nested = v as? [AnyHashable: Any] { try flatten(nested, prefix: key + ".", into: &values) } else { values[key] = v }
        }
    }

    /// `names` sorted by where `name:` first appears in `text` (Yams' mappings are unordered).
    private static func fileOrder(of names: [String], in text: String) -> [String] {
        names.sorted { (text.range(of: "\($0):")?.lowerBound ?? text.endIndex) < (text.range(of: "\($1):")?.lowerBound ?? text.endIndex) }
    }

    private mutating func raw(_ key: String) -> Any? {
        mark(key)
        guard let v = values[key], !(v is NSNull) else { return nil }
        return v
    }

    private mutating func mark(_ key: String) {
        if read.insert(key).inserted { readOrder.append(key) }
    }

    /// Whether the file, the profile or an override sets `key` (to anything, null included).
    public func isSet(_ key: String) -> Bool { values[key] != nil }

    /// Accepts every key of `section` without reading it: for a reader that owns only some
    /// sections of a file whose other sections another reader checks.
    public mutating func accept(section: String) {
        for key in values.keys where key.hasPrefix(section + ".") { mark(key) }
    }

    public mutating func double(_ key: String, _ fallback: Double) throws -> Double {
        guard let v = raw(key) else { return fallback }
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        if let s = v as? String, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return d }
        throw TrainingError.badConfig("\(key): expected a number, got \(Self.describe(v))")
    }

    public mutating func int(_ key: String, _ fallback: Int) throws -> Int {
        guard let v = raw(key) else { return fallback }
        if let i = v as? Int { return i }
        if let d = v as? Double, d == d.rounded(), abs(d) < 1e18 { return Int(d) }
        if let s = v as? String, let d = Double(s.trimmingCharacters(in: .whitespaces)), d == d.rounded(), abs(d) < 1e18 { return Int(d) }
        throw TrainingError.badConfig("\(key): expected an integer, got \(Self.describe(v))")
    }

    /// An integer, or null / absent for `nil`.
    public mutating func optionalInt(_ key: String) throws -> Int? {
        guard values[key] != nil, !(values[key] is NSNull) else { mark(key); return nil }
        if let s = values[key] as? String, ["null", "none", "~", ""].contains(s.lowercased()) { mark(key); return nil }
        return try int(key, 0)
    }

    /// A list of integers (`[1, 2]` in YAML or in `--set`), or nil for null, absent or `auto`.
    mutating func optionalIntList(_ key: String) throws -> [Int]? {
        guard var v = raw(key) else { return nil }
        if let s = v as? String {
            if ["auto", "null", "none", "~", ""].contains(s.lowercased().trimmingCharacters(in: .whitespaces)) { return nil }
            if let parsed = (try? Yams.load(yaml: s)).flatMap({ $0 }) { v = parsed }
        }
        guard let list = v as? [Any] else { throw TrainingError.badConfig("\(key): expected a list of integers such as [1, 1], or auto; got \(Self.describe(v))") }
        return try list.map { item in
            if let i = item as? Int { return i }
            if let d = item as? Double, d == d.rounded(), abs(d) < 1e18 { return Int(d) }
            throw TrainingError.badConfig("\(key): expected a list of integers such as [1, 1], or auto; got \(Self.describe(v))")
        }
    }

    /// An integer, or `auto` (also null / absent) for `nil`.
    public mutating func autoInt(_ key: String) throws -> Int? {
        if let s = values[key] as? String, s.lowercased() == "auto" { mark(key); return nil }
        guard values[key] != nil else { mark(key); return nil }
        do { return try optionalInt(key) } catch {
            throw TrainingError.badConfig("\(key): expected an integer or auto, got \(Self.describe(values[key]!))")
        }
    }

    public mutating func string(_ key: String, _ fallback: String, allowed: [String]? = nil) throws -> String {
        guard let v = raw(key) else { return fallback }
        let s: String
        if let str = v as? String { s = str } else if let i = v as? Int { s = String(i) } else {
            throw TrainingError.badConfig("\(key): expected text, got \(Self.describe(v))")
        }
        if let allowed, !allowed.contains(s) {
            throw TrainingError.badConfig("\(key): \(s) is not one of \(allowed.joined(separator: ", "))")
        }
        return s
    }

    /// Text, or null / absent for `nil`.
    public mutating func optionalString(_ key: String) throws -> String? {
        guard let v = raw(key) else { return nil }
        if let s = v as? String { return ["null", "~"].contains(s) ? nil : s }
        throw TrainingError.badConfig("\(key): expected text or null, got \(Self.describe(v))")
    }

    public mutating func bool(_ key: String, _ fallback: Bool) throws -> Bool {
        guard let v = raw(key) else { return fallback }
        if let b = v as? Bool { return b }
        if let s = v as? String, ["true", "false"].contains(s.lowercased()) { return s.lowercased() == "true" }
        throw TrainingError.badConfig("\(key): expected true or false, got \(Self.describe(v))")
    }

    /// A list of text items: a YAML list, or one comma-separated string (as `--set` gives it).
    public mutating func stringList(_ key: String, _ fallback: [String]) throws -> [String] {
        guard let v = raw(key) else { return fallback }
        if let list = v as? [Any] {
            return try list.map { item in
                guard let s = item as? String else { throw TrainingError.badConfig("\(key): expected a list of text, got an item \(Self.describe(item))") }
                return s
            }
        }
        if var s = v as? String {
            s = s.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        throw TrainingError.badConfig("\(key): expected a list of text, got \(Self.describe(v))")
    }

    /// Throws on any key present in the YAML, the profile or the overrides that no accessor read.
    public func finish() throws {
        let unknown = values.keys.filter { !read.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let section = first.split(separator: ".").first.map(String.init) ?? first
        let known = read.filter { $0.hasPrefix(section + ".") }.sorted()
        var sections: [String] = []
        for key in readOrder {
            let s = key.split(separator: ".").first.map(String.init) ?? key
            if !sections.contains(s) { sections.append(s) }
        }
        let hint = known.isEmpty ? "sections are \(sections.joined(separator: ", "))"
                                 : "known keys in \(section): \(known.map { String($0.dropFirst(section.count + 1)) }.joined(separator: ", "))"
        throw TrainingError.badConfig("unknown config key \(first) (\(hint))")
    }

    /// Yams' error as `line L, column C: PROBLEM` and the line it points at.
    static func describe(yamlError error: any Error) -> String {
        let problem: String, mark: Mark?, yaml: String?
        switch error as? YamlError {
        case let .scanner(_, text, at, source)?, let .parser(_, text, at, source)?, let .composer(_, text, at, source)?:
            (problem, mark, yaml) = (text, at, source)
        default:
            (problem, mark, yaml) = ("\(error)", nil, nil)
        }
        guard let mark, let yaml else { return "not valid YAML: \(problem)" }
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let line = mark.line >= 1 && mark.line <= lines.count ? "\n  " + lines[mark.line - 1] : ""
        return "line \(mark.line), column \(mark.column): not valid YAML: \(problem)\(line)"
    }

    static func describe(_ v: Any) -> String {
        if let s = v as? String { return "\"\(s)\"" }
        if v is [Any] { return "a list" }
        if v is [AnyHashable: Any] { return "a mapping" }
        return "\(v)"
    }
}
