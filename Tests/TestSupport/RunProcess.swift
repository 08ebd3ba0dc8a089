import Foundation

/// Runs `executable` with `arguments` (and `environment` added to this process's own) and
/// returns its stdout; a non-zero exit throws `TestFailure` with the command and its stderr.
/// Both pipes are read at once (`ChildOutput`), so a chatty child never blocks; a child still
/// running after `deadline` is killed and the call throws with what it printed.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       within deadline: Duration = TestChild.defaultDeadline) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let (status, stdout, stderr) = try ChildOutput.collect(process, within: deadline)
    guard status == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(status): \(stderr.suffix(3000))")
    }
    return stdout
}

/// A fresh directory under the temporary folder (`label-UUID`) that outlives the test, for
/// files a failing test's reader may want to look at; `TempDir` removes its own.
public func makeTemporaryDirectory(_ label: String = "blocklab-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
