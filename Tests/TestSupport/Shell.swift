import Foundation

/// Runs `script` with `bash -euo pipefail` (in `directory` when given) and returns its
/// stdout; throws `ShellError` with its stderr when it exits non-zero. git ignores the
/// user's and the system's config and commits as "Fixture" at a fixed date unless the
/// script or `environment` says otherwise, so hashes are the same on every machine. A script
/// still running after `deadline` is killed with what it started, and the call throws.
@discardableResult
public func shell(_ script: String, in directory: String? = nil, environment extra: [String: String] = [:],
                  within deadline: Duration = TestChild.defaultDeadline) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-euo", "pipefail", "-c", script]
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["LC_ALL"] = "C"
    for role in ["AUTHOR", "COMMITTER"] {
        environment["GIT_\(role)_NAME"] = "Fixture"
        environment["GIT_\(role)_EMAIL"] = "fixture@example.com"
        environment["GIT_\(role)_DATE"] = "2024-02-01T12:00:00+00:00"
    }
    for (key, value) in extra { environment[key] = value }
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    let (status, stdout, stderr) = try ChildOutput.collect(process, within: deadline)
    guard status == 0 else { throw ShellError(script: script, status: status, stderr: stderr) }
    return stdout
}

/// A script that exited non-zero: its status and stderr.
public struct ShellError: Error, CustomStringConvertible {
    public var script: String
    public var status: Int32
    public var stderr: String
    public var description: String { "exit \(status): \(stderr)\n\(script)" }
}

/// A failed expectation of a test's own helper, with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
