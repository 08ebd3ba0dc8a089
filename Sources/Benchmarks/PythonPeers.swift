import ArgumentParser
import ExperimentStore
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

// The Python peers, pinned, in venvs (part of the benchmarks' shared support; see BenchSupport.swift).

// MARK: - Python peers

/// A Python with a benchmark's peers at pinned versions: a venv made on first use (and
/// reinstalled when a pin changes), or a given interpreter whose versions are only read.
///
///     let peers = PythonPeers(venv: ".venv-bench-store", requirements: [.init("mlflow", "3.17.2")])
///     let python = try await peers.prepare(override: nil, progress: progress)
///     python.versions["mlflow"]  // "3.17.2"
public struct PythonPeers: Sendable {
    /// A distribution on PyPI (or a system package) and the version the figures are quoted for.
    public struct Requirement: Sendable {
        public let distribution: String, version: String
        public init(_ distribution: String, _ version: String) { (self.distribution, self.version) = (distribution, version) }
    }

    /// The interpreter to run peers with, and each requirement's installed version.
    public struct Python: Sendable {
        public let path: String
        public let versions: [String: String]
    }

    /// The venv folder (relative to the current directory), or nil to use `systemPython` as it is.
    public let venv: String?
    public let requirements: [Requirement]
    public let systemPython: String
    /// What to do when a requirement is missing from `systemPython`.
    public let installHint: String

    public init(venv: String?, requirements: [Requirement], systemPython: String = "python3", installHint: String = "") {
        (self.venv, self.requirements, self.systemPython, self.installHint) = (venv, requirements, systemPython, installHint)
    }

    /// Returns a Python with every requirement. With `override` (a `--python` flag) or no venv,
    /// that interpreter is used as it is and a missing requirement is an error; otherwise the
    /// venv is made, or its pins installed, when a version differs.
    public func prepare(override: String?, progress: BenchProgress) async throws -> Python {
        guard let venv, override == nil else {
            let python = override ?? systemPython
            let versions = try await installed(python)
            let missing = requirements.filter { versions[$0.distribution] == nil }.map(\.distribution)
            guard missing.isEmpty else {
                throw BenchError("\(python) lacks \(missing.joined(separator: ", ")). \(installHint.isEmpty ? "Install \(pins) into it, or leave out --python." : installHint)")
            }
            return Python(path: python, versions: versions)
        }
        let python = FileManager.default.currentDirectoryPath + "/\(venv)/bin/python"
        if FileManager.default.isExecutableFile(atPath: python),
           let versions = try? await installed(python), requirements.allSatisfy({ versions[$0.distribution] == $0.version }) {
            return Python(path: python, versions: versions)
        }
        progress.say("installing \(pins) into \(venv) from PyPI (once)")
        if !FileManager.default.isExecutableFile(atPath: python) {
            _ = try await ChildProcess.output(systemPython, ["-m", "venv", venv])
        }
        _ = try await ChildProcess.output(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                                          + requirements.map { "\($0.distribution)==\($0.version)" })
        return Python(path: python, versions: try await installed(python))
    }

    /// `mlflow==3.17.2 trackio==0.43.0`
    public var pins: String { requirements.map { "\($0.distribution)==\($0.version)" }.joined(separator: " ") }

    /// The installed version of each requirement (absent when not installed), from package metadata.
    private func installed(_ python: String) async throws -> [String: String] {
        let names = requirements.map { "\"\($0.distribution)\"" }.joined(separator: ",")
        let script = """
            import importlib.metadata as m, json
            found = {}
            for name in [\(names)]:
                try: found[name] = m.version(name)
                except m.PackageNotFoundError: pass
            print(json.dumps(found))
            """
        let output = try await ChildProcess.output(python, ["-c", script])
        guard case .object(let object) = try JSONValue.parse(Data(output.utf8)) else { return [:] }
        return object.compactMapValues { if case .string(let version) = $0 { version } else { nil } }
    }

    /// The path of a peer script, `scripts/bench/NAME`: under the current directory when run
    /// from a BlockLab checkout, else beside the sources this binary was built from.
    public static func script(_ name: String) throws -> String {
        let local = FileManager.default.currentDirectoryPath + "/scripts/bench/\(name)"
        if FileManager.default.fileExists(atPath: local) { return local }
        let built = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/bench/\(name)").standardized.path
        guard FileManager.default.fileExists(atPath: built) else {
            throw BenchError("cannot find the peer script scripts/bench/\(name); run the benchmark from the BlockLab checkout.")
        }
        return built
    }

    /// The last line of a peer's stdout that parses as a JSON object.
    public static func result(_ output: String, peer: String) throws -> [String: JSONValue] {
        for line in output.split(separator: "\n").reversed() where line.hasPrefix("{") {
            if case .object(let object)? = try? JSONValue.parse(Data(line.utf8)) { return object }
        }
        throw BenchError("the \(peer) peer printed no JSON result: \(output.suffix(500))")
    }
}
