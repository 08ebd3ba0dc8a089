import Foundation

/// One HTTP request as the Qdrant client sends it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines, e.g. `("content-type", "application/json")`. Secrets (the API key) are
    /// sent but never logged: `CustomStringConvertible` of a request names method and URL only.
    public var headers: [(name: String, value: String)]
    public var body: Data?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A response: status, headers (names lower-cased) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Timeouts of one request: connecting (DNS, TCP, TLS) and the whole transfer.
public struct HTTPTimeouts: Sendable, Equatable {
    public var connect: Double
    public var total: Double

    public init(connect: Double = 10, total: Double = 120) {
        self.connect = connect
        self.total = total
    }
}

/// A request that got no HTTP response: the connection could not be made or broke.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// libcurl's `CURLcode`.
    public let code: Int
    /// libcurl's message, with its detail where it gave one.
    public let message: String
    /// Connection refused or reset, timeouts, empty replies: worth trying again.
    public let isTransient: Bool
    public var description: String { message }
}
