import Dashboard
import Foundation
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real dashboard server on 127.0.0.1 (or another address) and a free port, started in this
/// process and stopped by `stop()`; requests go over real HTTP (`request`, through
/// URLSession) or as raw bytes (`raw`, through `RawHTTP`).
final class TestServer: @unchecked Sendable {
    let base: String
    let port: Int
    let server: DashboardServer
    private let task: Task<Void, any Error>

    init(_ configuration: DashboardServer.Configuration) async throws {
        var configuration = configuration
        configuration.port = 0
        let server = try DashboardServer(configuration)
        self.server = server
        let ready = PortBox()
        task = Task { try await server.run { ready.set($0) } }
        var port: Int?
        for _ in 0..<60_000 {  // a hang guard, not a speed check
            port = ready.get()
            if port != nil { break }
            try await Task.sleep(nanoseconds: 1_000_000)
        }
        guard let port else { throw DashboardError(status: 500, "the test server did not start") }
        self.port = port
        base = "http://127.0.0.1:\(port)"
    }

    /// This server's own Host: `127.0.0.1:PORT`.
    var ownHost: String { "127.0.0.1:\(port)" }

    /// One raw GET; `host` nil sends none.
    func raw(_ target: String, host: String?, headers: [(String, String)] = []) async throws -> RawHTTP.Reply {
        try await raw("GET", target, host: host, headers: headers)
    }

    /// One raw request; `host` nil sends none.
    func raw(_ method: String, _ target: String, host: String?, headers: [(String, String)] = [], body: String? = nil) async throws -> RawHTTP.Reply {
        try await RawHTTP.send(RawHTTP.request(method, target, host: host, headers: headers, body: body), port: port)
    }

    convenience init(store: String) async throws {
        try await self.init(.init(storePath: store))
    }

    /// Stops the server (gracefully: its running SQL queries are stopped) and waits for it,
    /// five minutes at most (a hang guard, long for the reason `RawHTTP.send` gives): a
    /// server still running then is a failed test.
    func stop() async {
        task.cancel()
        let once = FirstOnly()
        let task = self.task
        let stopped = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let resume: @Sendable (Bool) -> Void = { value in
                if once.claim() { continuation.resume(returning: value) }
            }
            Task { _ = try? await task.value; resume(true) }
            Task { try? await Task.sleep(nanoseconds: 300_000_000_000); resume(false) }
        }
        if !stopped { Issue.record("the test server did not stop within five minutes") }
    }

    struct Reply {
        var status: Int
        var body: Data
        var headers: [String: String]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any { (try? JSONSerialization.jsonObject(with: body)) ?? [:] }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var error: String { object["error"] as? String ?? "" }
        /// Typed decoding, exact for doubles (JSONSerialization rounds some on Linux).
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(type, from: body)
        }
    }

    /// One request; no cookies kept, redirects not followed.
    func request(_ path: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        guard let url = URL(string: base + path) else { throw DashboardError(status: 400, "not a URL: \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw DashboardError(status: 500, "\(path) answered without an HTTP response") }
        var fields = [String: String]()
        for (name, value) in http.allHeaderFields { fields["\(name)".lowercased()] = "\(value)" }
        return Reply(status: http.statusCode, body: data, headers: fields)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request(path, headers: headers)
    }

    /// A JSON POST; `origin` defaults to this server's own.
    func post(_ path: String, _ object: [String: String], origin: String?? = .some(nil)) async throws -> Reply {
        var headers = ["Content-Type": "application/json"]
        switch origin {
        case .some(.some(let value)): headers["Origin"] = value
        case .some(.none): headers["Origin"] = base
        case .none: break
        }
        return try await request(path, method: "POST", headers: headers, body: try JSONSerialization.data(withJSONObject: object))
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()
}

private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ value: Int) { lock.lock(); port = value; lock.unlock() }
    func get() -> Int? { lock.lock(); defer { lock.unlock() }; return port }
}

/// True for the first caller of `claim` only.
final class FirstOnly: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        defer { claimed = true }
        return !claimed
    }
}
