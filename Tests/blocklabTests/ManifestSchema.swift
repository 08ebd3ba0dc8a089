import Foundation
import TestSupport
import Testing

/// Checks manifests against `schema/manifest.schema.json` with Python's `jsonschema`
/// (Draft 2020-12), a validator independent of BlockLab. `scripts/setup/training.sh`
/// installs it and prints `BLOCKLAB_JSONSCHEMA_PYTHON`; without it the check fails.
enum ManifestSchema {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schema/manifest.schema.json").path

    /// What the validator finds wrong with the JSON file at `file`, one line per error
    /// (`path/in/document: message`); empty when it is valid.
    static func errors(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_JSONSCHEMA_PYTHON"], !python.isEmpty else {
            Issue.record("BLOCKLAB_JSONSCHEMA_PYTHON is unset: run `source scripts/setup.sh` (scripts/setup/training.sh installs jsonschema)",
                         sourceLocation: sourceLocation)
            return ["no validator"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2])))
            for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
                print("/".join(map(str, e.absolute_path)) + ": " + e.message[:300])
            """, path, file]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        let collector = OutputCollector(process)
        let (out, err) = try collector.finish()
        guard process.terminationStatus == 0 else { throw TestFailure("jsonschema failed (\(process.terminationStatus)): \(err)") }
        return out.split(separator: "\n").map(String.init)
    }

    /// Writes `object` as JSON to `file` and returns the validator's errors.
    static func errors(of object: Any, writingTo file: String) throws -> [String] {
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
        return try errors(file)
    }
}
