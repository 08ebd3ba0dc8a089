import Foundation

/// Runs `script` with /bin/sh in `directory` and returns its stdout; throws with its stderr
/// when it exits non-zero. Git runs with a fixed identity and dates, so hashes are stable.
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
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    try process.run()
    let collector = OutputCollector(process)
    process.waitUntilExit()
    let (out, err) = collector.finish()
    guard process.terminationStatus == 0 else {
        throw ShellError("sh exited with \(process.terminationStatus): \(err)\n--- script:\n\(script)")
    }
    return out
}

struct ShellError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A repository of `commits` commits on `main`, each adding or changing small Swift files.
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

/// Parses CSV with Python's `csv` module (strict), a parser independent of BlockLab's
/// writer: the records, each a list of cells.
func parseCSV(_ text: String) throws -> [[String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", """
        import csv, io, json, sys
        rows = csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=""), strict=True)
        print(json.dumps(list(rows)))
        """]
    process.standardInput = Pipe()
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    try process.run()
    let collector = OutputCollector(process)
    let input = (process.standardInput as! Pipe).fileHandleForWriting
    input.write(Data(text.utf8))
    try input.close()
    process.waitUntilExit()
    let (out, err) = collector.finish()
    guard process.terminationStatus == 0 else { throw ShellError("not valid CSV: \(err)") }
    guard let rows = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String]] else { throw ShellError("python printed \(out)") }
    return rows
}
