import Foundation

/// A tmpfs mounted on a fresh temporary directory for one test (a small disk that fills, or a
/// read-only folder that even root cannot write to), unmounted when released. Mounting needs
/// root or CAP_SYS_ADMIN: gate the test on `TmpfsMount.isPossible`, so a machine without it
/// records a skip with the reason instead of a failure.
public final class TmpfsMount: @unchecked Sendable {
    public let path: String
    private let dir: TempDir

    /// Mounts a tmpfs of `size` (as mount(8) takes it: "400k", "1m"), read-only when asked.
    public init(size: String, readOnly: Bool = false) throws {
        dir = TempDir()
        path = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let options = "size=\(size),mode=0755" + (readOnly ? ",ro" : "")
        try runProcess("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path], within: .seconds(60))
    }

    /// Lazily, so a file still open in it cannot keep it mounted.
    deinit { _ = try? runProcess("/bin/umount", ["-l", path], within: .seconds(60)) }

    /// Whether this process can mount a tmpfs here: tried once, on a scratch directory.
    public static let isPossible: Bool = (try? TmpfsMount(size: "64k")) != nil
}
