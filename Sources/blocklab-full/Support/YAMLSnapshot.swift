import StoreCommands
import ExperimentStore
import Foundation
import Yams

/// A YAML config file as a store snapshot: the text as given and its resolved JSON.
enum YAMLSnapshot {
    static func load(path: String) throws -> ConfigSnapshot {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CLIError("cannot read the config file \(path): check the path (it must be a readable UTF-8 YAML file)", status: .notFound)
        }
        return try load(text: text, name: path)
    }

    static func load(text: String, name: String = "the config") throws -> ConfigSnapshot {
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw CLIError("\(name) is not valid YAML: \(error)", status: .config)
        }
        guard let mapping = node as? [String: Any] else {
            throw CLIError("\(name) must be a YAML mapping (key: value lines) at the top level", status: .config)
        }
        return ConfigSnapshot(yaml: text, resolvedJSON: JSONValue.object(mapping.mapValues(jsonValue)).jsonString().data(using: .utf8)!)
    }

    private static func jsonValue(_ value: Any) -> JSONValue {
        switch value {
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .int(Int64(int))
        case let double as Double: return .double(double)
        case let string as String: return .string(string)
        case let array as [Any]: return .array(array.map(jsonValue))
        case let mapping as [String: Any]: return .object(mapping.mapValues(jsonValue))
        case let mapping as [AnyHashable: Any]:
            return .object(Dictionary(uniqueKeysWithValues: mapping.map { ("\($0.key)", jsonValue($0.value)) }))
        default: return .null
        }
    }
}
