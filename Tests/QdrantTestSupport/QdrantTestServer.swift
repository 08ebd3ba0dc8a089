import Foundation
import TestSupport
import Qdrant

/// The Python that scripts/setup/embeddings.sh prepares (qdrant-edge-py, qdrant-client,
/// sentence-transformers). A missing one fails the test that needs it, loudly.
public func embeddingPython() throws -> String {
    guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_EMBED_PYTHON"], !python.isEmpty else {
        throw TestSetupError("BLOCKLAB_EMBED_PYTHON is unset: run `eval \"$(bash scripts/setup/embeddings.sh | grep ^export)\"` (scripts/test.sh does)")
    }
    guard FileManager.default.isExecutableFile(atPath: python) else {
        throw TestSetupError("BLOCKLAB_EMBED_PYTHON=\(python) is not an executable: rerun scripts/setup/embeddings.sh")
    }
    return python
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Qdrant's REST API on Qdrant's engine, served by `qdrant_test_server.py` (beside this
/// file) on 127.0.0.1 and a port the system picks. Started by `init`, stopped by `stop()`
/// or when released.
public final class QdrantTestServer: @unchecked Sendable {
    public let url: String
    private let child: TestChild
    private let control: CurlSession

    /// The server script, for tests and benchmarks that start it themselves.
    public static let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("qdrant_test_server.py").path

    /// How long the server may take to start, and to stop once asked (a guard against a
    /// hang: past it the server is killed and the test fails with what it printed).
    public static let deadline: Duration = .seconds(300)

    public init(apiKey: String? = nil) throws {
        let python = try embeddingPython()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.scriptPath] + (apiKey.map { ["--api-key", $0] } ?? [])
        child = try TestChild(process)
        // The first line is "listening on URL", printed once the socket accepts connections.
        do {
            try child.waitFor("\"listening on\" line", within: Self.deadline) { out, _ in out.contains("\n") }
        } catch {
            child.kill()
            throw TestSetupError("the Qdrant test server did not start (\(python) \(Self.scriptPath)): \(error)")
        }
        let text = String(child.stdoutSoFar.prefix { $0 != "\n" })
        guard text.hasPrefix("listening on ") else {
            child.kill()
            throw TestSetupError("the Qdrant test server did not start (\(python) \(Self.scriptPath)): \(child.printed)")
        }
        url = String(text.dropFirst("listening on ".count))
        control = try CurlSession()
    }

    deinit { stop() }

    /// Stops the server (SIGTERM; it removes its temporary shards) and waits for it; one that
    /// does not end within `deadline` is killed.
    public func stop() {
        guard child.process.isRunning else { return }
        child.process.terminate()
        _ = try? child.finish(within: Self.deadline)
    }

    /// Queues a fault: after `skip` matching requests pass, the next `count` get `status`.
    public func addFault(method: String? = nil, path: String = "", status: Int, count: Int = 1, skip: Int = 0,
                         retryAfter: String? = nil, error: String? = nil) throws {
        var fault: [String: Any] = ["path": path, "status": status, "count": count, "skip": skip]
        if let method { fault["method"] = method }
        if let retryAfter { fault["retry_after"] = retryAfter }
        if let error { fault["error"] = error }
        _ = try post("/__test__/faults", fault)
    }

    /// One request the server answered (test controls excluded).
    public struct LoggedRequest: Decodable, Sendable {
        public let method: String
        public let path: String
        public let status: Int?
        /// Points in the body's `points` list, for upserts.
        public let points: Int?
    }

    public func requests() throws -> [LoggedRequest] {
        let response = try control.perform(HTTPRequest(method: "GET", url: url + "/__test__/log"), timeouts: HTTPTimeouts())
        return try JSONDecoder().decode([LoggedRequest].self, from: response.body)
    }

    /// Clears the request log and pending faults.
    public func reset() throws { _ = try post("/__test__/reset", [:]) }

    private func post(_ path: String, _ object: [String: Any]) throws -> HTTPResponse {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try control.perform(HTTPRequest(method: "POST", url: url + path, headers: [("content-type", "application/json")], body: body),
                                   timeouts: HTTPTimeouts())
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed), for "server down" tests.
public func closedLocalPort() throws -> Int { try freeLoopbackPort() }
