import Foundation
import TestSupport
import Testing

/// `source scripts/setup.sh`, as scripts/test.sh and a user run it, over a copy whose
/// scripts/setup/ holds scripts written here: their exports reach the caller, and a failing
/// one stops the set-up with its own message and a non-zero status.
@Suite struct SetupScriptTests {
    static let setupScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/setup.sh")

    /// A copy of scripts/setup.sh in `dir` with `scripts` (name → text) as its set-up scripts.
    func tree(_ dir: TempDir, _ scripts: [String: String]) throws -> String {
        try FileManager.default.createDirectory(atPath: dir.file("scripts/setup"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.setupScript.path, toPath: dir.file("scripts/setup.sh"))
        for (name, text) in scripts { try text.write(toFile: dir.file("scripts/setup/\(name)"), atomically: true, encoding: .utf8) }
        return dir.file("scripts/setup.sh")
    }

    /// Sources `setup` in a bash that then prints the status and BLOCKLAB_TEST_A/B.
    func source(_ setup: String) throws -> ChildResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "source \"$0\"; echo \"status $? a=${BLOCKLAB_TEST_A:-} b=${BLOCKLAB_TEST_B:-}\"", setup]
        return try TestChild(process).finish()
    }

    @Test func theExportsOfEveryScriptReachTheCaller() throws {
        let dir = TempDir()
        let setup = try tree(dir, ["a.sh": "echo 'export BLOCKLAB_TEST_A=one'\necho 'a note' >&2\n",
                                   "b.sh": "echo 'not an export'\necho 'export BLOCKLAB_TEST_B=two'\n"])
        let result = try source(setup)
        #expect(result.stdout == "status 0 a=one b=two\n", "\(result.stderr)")
        #expect(result.stderr.contains("a note"))
    }

    @Test func aFailingScriptStopsTheSetUpWithItsOwnMessage() throws {
        let dir = TempDir()
        let setup = try tree(dir, ["a.sh": "echo 'export BLOCKLAB_TEST_A=one'\necho 'a: pip could not reach the index' >&2\nexit 3\n",
                                   "b.sh": "echo 'export BLOCKLAB_TEST_B=two'\n"])
        let result = try source(setup)
        #expect(result.stdout == "status 1 a= b=\n", "\(result.stderr)")
        #expect(result.stderr.contains("a: pip could not reach the index"))
        #expect(result.stderr.contains("blocklab set-up: scripts/setup/a.sh failed (exit 3); its messages are above"), "\(result.stderr)")
        #expect(result.stderr.contains("blocklab set-up failed (see above)"))
    }
}
