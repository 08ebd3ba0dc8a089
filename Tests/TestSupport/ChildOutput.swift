import Foundation

/// Runs a configured `Process` to its end, reading stdout and stderr at the same time (so
/// neither pipe fills and blocks the child), and returns its status and both outputs. A child
/// still running after `deadline` is killed and the call throws with what it printed
/// (`TestChild`).
public enum ChildOutput {
    public static func collect(_ process: Process, within deadline: Duration = TestChild.defaultDeadline) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let result = try TestChild(process).finish(within: deadline)
        return (result.status, result.stdout, result.stderr)
    }
}
