import Foundation
import Yams

/// Reads a YAML config as flat dotted keys (`training.base_learning_rate`) with typed
/// accessors. Every read marks its key; `finish()` rejects keys nobody read. Numbers are
/// quote-tolerant (`5e-5`, which YAML 1.1 resolves as a string, and `"5e-5"` are numbers).
struct ConfigReader {
    private var values: [String: Any] = [:]
    private var read: Set<String> = []

    /// `yaml` may be nil (all defaults). `overrides` are `KEY=VALUE` strings (`--set`).
    init(yaml: String?, overrides: [String]) throws {
        if let yaml, !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let root: Any?
            do { root = try Yams.load(yaml: yaml) } catch {
                throw TrainingError.badConfig("the config is not valid YAML: \(error)")
            }
            if let root, !(root is NSNull) {
                guard let mapping = root as? [AnyHashable: Any] else {
                    throw TrainingError.badConfig("the config must be a mapping of sections (model, training, epoch_calculation, hardware_monitoring)")
                }
                try flatten(mapping, prefix: "")
            }
        }
        for override in overrides {
            guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
                throw TrainingError.badConfig("--set \(override): expected KEY=VALUE, e.g. --set training.max_steps=100")
            }
            let key = String(override[..<eq])
            let text = String(override[override.index(after: eq)...])
            let value = (try? Yams.load(yaml: text)).flatMap { $0 } ?? text
            values[key] = value is [AnyHashable: Any] || value is [Any] ? text : value
        }
    }

    private mutating func flatten(_ mapping: [AnyHashable: Any], prefix: String) throws {
        for (k, v) in mapping {
            let key = prefix + "\(k)"
            if let nested = v as? [AnyHashable: Any] { try flatten(nested, prefix: key + ".") } else { values[key] = v }
        }
    }

    private mutating func raw(_ key: String) -> Any? {
        read.insert(key)
        guard let v = values[key], !(v is NSNull) else { return nil }
        return v
    }

    mutating func double(_ key: String, _ fallback: Double) throws -> Double {
        guard let v = raw(key) else { return fallback }
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        if let s = v as? String, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return d }
        throw TrainingError.badConfig("\(key): expected a number, got \(describe(v))")
    }

    mutating func int(_ key: String, _ fallback: Int) throws -> Int {
        guard let v = raw(key) else { return fallback }
        if let i = v as? Int { return i }
        if let d = v as? Double, d == d.rounded(), abs(d) < 1e18 { return Int(d) }
        if let s = v as? String, let d = Double(s.trimmingCharacters(in: .whitespaces)), d == d.rounded(), abs(d) < 1e18 { return Int(d) }
        throw TrainingError.badConfig("\(key): expected an integer, got \(describe(v))")
    }

    /// An integer, or null / absent for `nil`.
    mutating func optionalInt(_ key: String) throws -> Int? {
        guard values[key] != nil, !(values[key] is NSNull) else { read.insert(key); return nil }
        if let s = values[key] as? String, ["null", "none", "~", ""].contains(s.lowercased()) { read.insert(key); return nil }
        return try int(key, 0)
    }

    /// A list of integers (`[1, 2]` in YAML or in `--set`), or nil for null, absent or `auto`.
    mutating func optionalIntList(_ key: String) throws -> [Int]? {
        guard var v = raw(key) else { return nil }
        if let s = v as? String {
            if ["auto", "null", "none", "~", ""].contains(s.lowercased().trimmingCharacters(in: .whitespaces)) { return nil }
            if let parsed = (try? Yams.load(yaml: s)).flatMap({ $0 }) { v = parsed }
        }
        guard let list = v as? [Any] else { throw TrainingError.badConfig("\(key): expected a list of integers such as [1, 1], or auto; got \(describe(v))") }
        return try list.map { item in
            if let i = item as? Int { return i }
            if let d = item as? Double, d == d.rounded(), abs(d) < 1e18 { return Int(d) }
            throw TrainingError.badConfig("\(key): expected a list of integers such as [1, 1], or auto; got \(describe(v))")
        }
    }

    mutating func string(_ key: String, _ fallback: String, allowed: [String]? = nil) throws -> String {
        guard let v = raw(key) else { return fallback }
        let s: String
        if let str = v as? String { s = str } else if let i = v as? Int { s = String(i) } else {
            throw TrainingError.badConfig("\(key): expected text, got \(describe(v))")
        }
        if let allowed, !allowed.contains(s) {
            throw TrainingError.badConfig("\(key): \(s) is not one of \(allowed.joined(separator: ", "))")
        }
        return s
    }

    mutating func bool(_ key: String, _ fallback: Bool) throws -> Bool {
        guard let v = raw(key) else { return fallback }
        if let b = v as? Bool { return b }
        if let s = v as? String, ["true", "false"].contains(s.lowercased()) { return s.lowercased() == "true" }
        throw TrainingError.badConfig("\(key): expected true or false, got \(describe(v))")
    }

    /// Throws on any key present in the YAML or the overrides that no accessor read.
    func finish() throws {
        let unknown = values.keys.filter { !read.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let section = first.split(separator: ".").first.map(String.init) ?? first
        let known = read.filter { $0.hasPrefix(section + ".") }.sorted()
        let hint = known.isEmpty ? "sections are model, training, epoch_calculation, hardware_monitoring"
                                 : "known keys in \(section): \(known.map { String($0.dropFirst(section.count + 1)) }.joined(separator: ", "))"
        throw TrainingError.badConfig("unknown config key \(first) (\(hint))")
    }

    private func describe(_ v: Any) -> String {
        if let s = v as? String { return "\"\(s)\"" }
        if v is [Any] { return "a list" }
        return "\(v)"
    }
}
