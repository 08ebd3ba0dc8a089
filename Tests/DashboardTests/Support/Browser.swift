import Foundation
import TestSupport
import Testing

/// Debian's headless chromium driven through scripts/browser/driver.py (Selenium with Debian's
/// chromium-driver). The Python comes from $BLOCKLAB_BROWSER_PYTHON, which
/// scripts/setup/dashboard.sh prints; without it the browser tests fail, loudly.
final class Browser {
    private let child: TestChild
    /// How much of the driver's stdout has been read as answers.
    private var consumed = 0

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Where screenshots go: $BLOCKLAB_TEST_OUTPUT, else .build/test-output/DashboardTests.
    static let outputFolder: String = {
        let folder = ProcessInfo.processInfo.environment["BLOCKLAB_TEST_OUTPUT"]
            ?? packageRoot.appendingPathComponent(".build/test-output/DashboardTests").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// How long the driver may take to start, or to answer a command beyond the command's
    /// own timeout (a guard against a hang: past it the driver and its browser are killed and
    /// the test fails with what the driver printed).
    static let deadline: Duration = .seconds(300)

    init() throws {
        guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_BROWSER_PYTHON"], !python.isEmpty else {
            throw BrowserError("BLOCKLAB_BROWSER_PYTHON is not set: run `bash scripts/setup/dashboard.sh` and export what it prints (scripts/test.sh does both)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.packageRoot.appendingPathComponent("scripts/browser/driver.py").path]
        child = try TestChild(process, input: true)
        let hello = try readLine(within: Self.deadline)
        guard (try? JSONSerialization.jsonObject(with: hello) as? [String: Any])?["ready"] as? Bool == true else {
            child.kill()
            throw BrowserError("the browser driver did not start: \(String(decoding: hello, as: UTF8.self))\(child.printed)")
        }
    }

    deinit { quit() }

    /// The driver's next line of stdout. Past the deadline, or when the driver exits first, it
    /// is killed and this throws with what it printed.
    private func readLine(within deadline: Duration) throws -> Data {
        var line = Data()
        try child.waitFor("an answer from the browser driver", within: deadline) { out, _ in
            let bytes = Array(out.utf8)
            guard consumed <= bytes.count, let newline = bytes[consumed...].firstIndex(of: UInt8(ascii: "\n")) else { return false }
            line = Data(bytes[consumed..<newline])
            consumed = newline + 1
            return true
        }
        return line
    }

    @discardableResult
    private func send(_ command: [String: Any], within deadline: Duration = deadline) throws -> [String: Any] {
        guard child.process.isRunning else { throw BrowserError("the browser driver has exited\(child.printed)") }
        child.send(String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self) + "\n", close: false)
        let line = try readLine(within: deadline)
        guard let answer = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw BrowserError("the browser driver answered: \(String(decoding: line, as: UTF8.self))")
        }
        if let error = answer["error"] as? String { throw BrowserError(error) }
        return answer
    }

    func open(_ url: String) throws { try send(["op": "open", "url": url]) }

    /// The value of `return ...` run in the page.
    func eval(_ script: String) throws -> Any? { try send(["op": "eval", "js": script])["value"] }

    /// Polls `script` until it returns a truthy value; `timeout` is a hang guard, not a limit
    /// under test. Returns the value and how long it took.
    @discardableResult
    func wait(_ script: String, timeout: Double = 120) throws -> (value: Any?, waitedMs: Double) {
        let answer = try send(["op": "wait", "js": script, "timeout": timeout], within: .seconds(timeout) + Self.deadline)
        return (answer["value"], answer["waited_ms"] as? Double ?? 0)
    }

    func click(_ css: String) throws { try send(["op": "click", "css": css]) }
    func type(_ css: String, _ text: String) throws { try send(["op": "type", "css": css, "text": text]) }

    /// Saves the whole page as `name`.png in the output folder; returns its path.
    @discardableResult
    func screenshot(_ name: String) throws -> String {
        let path = "\(Self.outputFolder)/\(name).png"
        try send(["op": "screenshot", "path": path])
        return path
    }

    /// Waits for the page's first charts (or table) to be drawn, failing on a page error.
    func waitUntilDrawn() throws {
        let (value, _) = try wait("return window.blocklab && (window.blocklab.error ? 'error: ' + window.blocklab.error : window.blocklab.ready)")
        if let text = value as? String, text.hasPrefix("error") { throw BrowserError("the page failed: \(text)") }
    }

    func quit() {
        guard child.process.isRunning else { return }
        _ = try? send(["op": "quit"])
        _ = try? child.finish(within: Self.deadline)
    }
}

struct BrowserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Tag {
    /// Tests that drive Debian's chromium (slow to start; run apart with --filter Browser).
    @Tag static var browser: Self
}
