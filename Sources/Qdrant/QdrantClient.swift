import Foundation

/// A client of Qdrant's REST API over libcurl: one connection kept open, every request retried
/// per `RetryPolicy`, every answer unwrapped from Qdrant's `{"result", "status", "time"}`
/// envelope. Not thread-safe: one thread uses a client at a time.
///
///     let qdrant = try QdrantClient(url: "http://127.0.0.1:6333", apiKey: ProcessInfo.processInfo.environment["QDRANT_API_KEY"])
///     _ = try qdrant.ensureCollection("commits", size: 384)
///     try qdrant.upsert(collection: "commits", points: points)
///
/// The API key is sent in the `api-key` header and kept nowhere else: no error, description
/// or log line contains it.
public final class QdrantClient {
    /// The server's base URL, without a trailing slash.
    public let url: String
    public var timeouts: HTTPTimeouts
    public var retry: RetryPolicy
    /// Every try so far, the first ones included (requests × attempts).
    public private(set) var attemptCount = 0
    private let apiKey: String?
    private let session: CurlSession
    private var random = SystemRandomNumberGenerator()

    public init(url: String, apiKey: String? = nil, timeouts: HTTPTimeouts = HTTPTimeouts(),
                retry: RetryPolicy = RetryPolicy()) throws(QdrantError) {
        var base = url.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        let lower = base.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), base.count > 8 else { throw .badURL(url) }
        self.url = base
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        self.timeouts = timeouts
        self.retry = retry
        do throws(TransportError) { session = try CurlSession() } catch { throw .unreachable(url: base, attempts: 0, reason: error.message) }
    }

    /// Sends one request (retrying per `retry`) and returns the envelope's `result`.
    /// `path` starts with "/"; `body` is a JSON document. A 404 is returned as `nil` when
    /// `allowNotFound`, so callers can ask "does it exist?" without an error.
    func send(_ method: String, _ path: String, body: Data? = nil, allowNotFound: Bool = false) throws(QdrantError) -> Any? {
        let label = "\(method) \(path.split(separator: "?").first.map(String.init) ?? path)"
        var headers: [(name: String, value: String)] = [("accept", "application/json")]
        if body != nil { headers.append(("content-type", "application/json")) }
        if let apiKey { headers.append(("api-key", apiKey)) }
        let request = HTTPRequest(method: method, url: url + path, headers: headers, body: body)
        var attempt = 0
        while true {
            attempt += 1
            attemptCount += 1
            let response: HTTPResponse
            do throws(TransportError) {
                response = try session.perform(request, timeouts: timeouts)
            } catch {
                guard error.isTransient, attempt < retry.attempts else {
                    throw .unreachable(url: url, attempts: attempt, reason: error.message)
                }
                Thread.sleep(forTimeInterval: retry.delay(afterAttempt: attempt, retryAfter: nil, using: &random))
                continue
            }
            switch response.status {
            case 200..<300:
                return try Self.result(of: response, request: label)
            case 404 where allowNotFound:
                return nil
            case let status where RetryPolicy.isRetriable(status: status):
                guard attempt < retry.attempts else {
                    throw .unavailable(request: label, status: status, attempts: attempt, message: Self.errorText(of: response))
                }
                Thread.sleep(forTimeInterval: retry.delay(afterAttempt: attempt, retryAfter: response.headers["retry-after"], using: &random))
            default:
                throw .rejected(request: label, status: response.status, message: Self.errorText(of: response))
            }
        }
    }

    /// The `result` of a success envelope (`NSNull` when the server sent `"result": null`).
    static func result(of response: HTTPResponse, request: String) throws(QdrantError) -> Any {
        guard let object = try? JSONSerialization.jsonObject(with: response.body, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw .badResponse(request: request, detail: "the body is not a JSON object: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        guard let result = object["result"] else {
            throw .badResponse(request: request, detail: "the body has no \"result\"")
        }
        return result
    }

    /// Qdrant's own error text: `status.error` of its error envelope, else the body as text.
    static func errorText(of response: HTTPResponse) -> String {
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
           let status = object["status"] as? [String: Any], let error = status["error"] as? String {
            return error
        }
        let text = String(decoding: response.body.prefix(1000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP status \(response.status) with an empty body" : text
    }

    /// A collection name as one URL path segment.
    static func segment(_ name: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    static func json(_ object: Any) -> Data {
        try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
