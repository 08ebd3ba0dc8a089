import Foundation
import Pipeline
import Testing

/// A fresh directory under the temporary folder, removed when the value goes.
final class Scratch: @unchecked Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Runs `script` with /bin/sh in `directory`; git with a fixed identity and dates.
@discardableResult
func sh(_ script: String, in directory: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-e", "-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var environment = ProcessInfo.processInfo.environment
    for (key, value) in ["GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
                         "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_AUTHOR_DATE": "2024-02-01T10:00:00+0000",
                         "GIT_COMMITTER_DATE": "2024-02-01T10:00:00+0000", "GIT_CONFIG_NOSYSTEM": "1", "HOME": directory] {
        environment[key] = value
    }
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw PipelineError("sh exited with \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
}

/// A repository of `commits` commits on `main`, each changing small Swift files.
func makeRepository(at path: String, commits: Int) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var script = "git init -q -b main .\n"
    for i in 0..<commits {
        script += """
            printf 'func f\(i)(x: Int) -> Int {\\n    return x + \(i)\\n}\\n' > f\(i % 7).swift
            printf 'let total = \(i) // step\\n' >> main.swift
            git add -A && git commit -q -m "Change \(i): update f\(i % 7)"

            """
    }
    try sh(script, in: path)
}

/// The repository's training_config.yaml.
let repositoryConfig: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return (try? String(contentsOf: root.appendingPathComponent("training_config.yaml"), encoding: .utf8)) ?? ""
}()

/// The quick profile shrunk further for a test: a 40-commit repository trains in seconds.
let testOverrides = [
    "tokenizer.vocab_size=300", "dataset.sequence_length=33", "model.n_positions=32", "training.max_steps=4",
    "training.eval_every_steps=2", "training.threads=2", "training.batch_size=2", "pipeline.phases=analyse,scrape,tokenize,train",
]
