import Foundation
import TestSupport
import Testing

/// Debian's headless chromium driven through scripts/browser/driver.py (Selenium with Debian's
/// chromium-driver). The Python comes from $BLOCKLAB_BROWSER_PYTHON, which
/// scripts/setup/dashboard.sh prints; without it the browser tests fail, loudly.
final class Browser {
    private let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private var buffer = Data()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Where screenshots go: $BLOCKLAB_TEST_OUTPUT, else .build/test-output/DashboardTests.
    static let outputFolder: String = {
        let folder = ProcessInfo.processInfo.environment["BLOCKLAB_TEST_OUTPUT"]
            ?? packageRoot.appendingPathComponent(".build/test-output/DashboardTests").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    init() throws {
        guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_BROWSER_PYTHON"], !python.isEmpty else {
            throw BrowserError("BLOCKLAB_BROWSER_PYTHON is not set: run `bash scripts/setup/dashboard.sh` and export what it prints (scripts/test.sh does both)")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.packageRoot.appendingPathComponent("scripts/browser/driver.py").path]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let hello = readLine()
        guard (try? JSONSerialization.jsonObject(with: hello) as? [String: Any])?["ready"] as? Bool == true else {
            process.waitUntilExit()
            let detail = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw BrowserError("the browser driver did not start: \(String(decoding: hello, as: UTF8.self)) \(detail.suffix(1500))")
        }
    }

    deinit { quit() }

    private func readLine() -> Data {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[buffer.startIndex..<newline])
                buffer = Data(buffer[buffer.index(after: newline)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return Data() }
            buffer.append(chunk)
        }
    }

    @discardableResult
    private func send(_ command: [String: Any]) throws -> [String: Any] {
        guard process.isRunning else { throw BrowserError("the browser driver has exited") }
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: command) + Data("\n".utf8))
        let line = readLine()
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
        let answer = try send(["op": "wait", "js": script, "timeout": timeout])
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
        guard process.isRunning else { return }
        _ = try? send(["op": "quit"])
        process.waitUntilExit()
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
