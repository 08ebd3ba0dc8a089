import Foundation

/// The executables of this build, as a user runs them: found beside the test bundle (the
/// same build and configuration), or named by `$BLOCKLAB_BIN` for `blocklab`.
public enum BuiltProducts {
    /// The `blocklab` launcher.
    public static let blocklab: String = {
        if let path = ProcessInfo.processInfo.environment["BLOCKLAB_BIN"] { return path }
        return path(of: "blocklab")
    }()

    /// The executable `name` of this build.
    public static func path(of name: String) -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/\(name)").path
    }
}
