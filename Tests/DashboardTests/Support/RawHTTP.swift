import Foundation
import TestSupport

/// HTTP/1.1 over a plain TCP socket, the request's bytes exactly as written: nothing adds a
/// Host, normalises `/static/../`, decodes `%2e%2e` or follows a redirect, so a test sends
/// what an attacker would. Each exchange uses its own connection (`Connection: close`) on a
/// thread of its own (the socket blocks), with a deadline on every read and write.
enum RawHTTP {
    struct Reply: CustomStringConvertible {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: Data

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        var text: String { String(decoding: body, as: UTF8.self) }
        var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        var error: String { object["error"] as? String ?? "" }
        var description: String { "\(status) \(text.prefix(400))" }
    }

    /// A request's bytes: the request line, `Host` when given, the other headers, and
    /// `Connection: close` (plus Content-Length for a body).
    static func request(_ method: String, _ target: String, host: String?, headers: [(String, String)] = [], body: String? = nil) -> Data {
        var lines = ["\(method) \(target) HTTP/1.1"]
        if let host { lines.append("Host: \(host)") }
        lines += headers.map { "\($0.0): \($0.1)" }
        if let body { lines.append("Content-Length: \(body.utf8.count)") }
        lines.append("Connection: close")
        return Data((lines.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? "")).utf8)
    }

    /// Sends `bytes` to 127.0.0.1:`port` and reads the reply to the end of the connection.
    /// `deadline` bounds each read and write (a hang guard, not a figure under test). It is
    /// long because a server in this process answers on this process's few concurrency
    /// threads, which other suites' long synchronous tests may hold for minutes.
    static func send(_ bytes: Data, port: Int, deadline: Int = 300) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try exchange(bytes, port: port, deadline: deadline) }) }.start()
        }
    }

    /// `send` on the calling thread, for tests that are not async.
    static func exchange(_ bytes: Data, port: Int, deadline: Int = 60) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: deadline, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            guard count > 0 else { throw TestFailure("write to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
            sent += count
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { break }
            guard count > 0 else {
                throw TestFailure("no end of the reply from 127.0.0.1:\(port) within \(deadline) s (\(String(cString: strerror(errno)))); got: \(String(decoding: received.prefix(500), as: UTF8.self))")
            }
            received.append(contentsOf: buffer[0..<count])
        }
        return try parse(received)
    }

    /// Status line, headers, and the body (de-chunked when the reply is chunked).
    static func parse(_ data: Data) throws -> Reply {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else {
            throw TestFailure("not an HTTP reply: \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("bad status line: \(head[0])") }
        let headers = head.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Data(data[end.upperBound...])
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked") }) {
            body = try dechunk(body)
        }
        return Reply(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: Data) throws -> Data {
        var out = Data(), rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw TestFailure("bad chunk size \(sizeText)") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size + 2 else { throw TestFailure("a chunk is cut short") }
            out.append(rest[start..<rest.index(start, offsetBy: size)])
            rest = rest[rest.index(start, offsetBy: size + 2)...]
        }
        return out
    }

    /// Replies that threads hand in, and a wait for them (two minutes at most: a hang guard).
    final class Replies: @unchecked Sendable {
        private let lock = NSLock()
        private var replies = [Result<RawHTTP.Reply, any Error>]()
        private let arrived = DispatchSemaphore(value: 0)

        func add(_ reply: Result<RawHTTP.Reply, any Error>) {
            lock.lock()
            replies.append(reply)
            lock.unlock()
            arrived.signal()
        }

        func wait(for count: Int) -> [Result<RawHTTP.Reply, any Error>]? {
            for _ in 0..<count where arrived.wait(timeout: .now() + 120) == .timedOut { return nil }
            lock.lock()
            defer { lock.unlock() }
            return replies
        }
    }
}
