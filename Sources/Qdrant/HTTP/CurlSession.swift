import CCurl
import Foundation

/// One libcurl easy handle, reused for every request so the connection stays open
/// (keep-alive) between them. Not thread-safe: one thread uses a session at a time.
///
///     let session = try CurlSession()
///     let response = try session.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:6333/"),
///                                        timeouts: HTTPTimeouts())
///
/// Each request starts from `curl_easy_reset` (options cleared, open connections kept), so
/// nothing set for one request leaks into the next.
public final class CurlSession {
    private let handle: UnsafeMutableRawPointer
    /// libcurl writes its detailed message here during a transfer, so it must outlive each call.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    /// libcurl's process-wide initialisation, done once before the first handle.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    public init() throws(TransportError) {
        guard Self.globalInit == CURLE_OK, let easy = curl_easy_init() else {
            throw TransportError(code: Int(CURLE_FAILED_INIT.rawValue), message: "libcurl could not be initialised", isTransient: false)
        }
        handle = easy
        errorBuffer[0] = 0
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and returns the response, whatever its status. Throws only when no
    /// response came (see `TransportError.isTransient`).
    public func perform(_ request: HTTPRequest, timeouts: HTTPTimeouts) throws(TransportError) -> HTTPResponse {
        curl_easy_reset(handle)
        let sink = ResponseSink()
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        // "Expect:" stops libcurl from waiting for `100 Continue` before large bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        let body = request.body ?? Data()
        let code: CURLcode = body.withUnsafeBytes { bytes -> CURLcode in
            var setup = [
                ccurl_setopt_string(handle, CURLOPT_URL, request.url),
                ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method),
                ccurl_setopt_headers(handle, headerList),
                ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
                ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000)),
                ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeouts.total * 1000)),
                ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1),
                ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
                ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer),
                ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, context in
                    let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
                    sink.body.append(UnsafeRawPointer(data!).assumingMemoryBound(to: UInt8.self), count: size * count)
                    return size * count
                }),
                ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque()),
                ccurl_setopt_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, context in
                    let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
                    sink.header(line: UnsafeRawBufferPointer(start: data, count: size * count))
                    return size * count
                }),
                ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque()),
            ]
            if request.body != nil {
                setup.append(ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)))
                setup.append(ccurl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)))
            }
            if let failed = setup.first(where: { $0 != CURLE_OK }) { return failed }
            errorBuffer[0] = 0
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else { throw transportError(code) }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    private func transportError(_ code: CURLcode) -> TransportError {
        let general = String(cString: curl_easy_strerror(code))
        let detail = String(cString: errorBuffer)
        let transient: Set<CURLcode> = [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
                                        CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE]
        return TransportError(code: Int(code.rawValue), message: detail.isEmpty || detail == general ? general : "\(general): \(detail)",
                              isTransient: transient.contains(code))
    }
}

/// Collects one response's body and headers; the header list restarts at each status line
/// (so interim responses such as `100 Continue` leave nothing behind).
private final class ResponseSink {
    var body = Data()
    var headers: [String: String] = [:]

    func header(line bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") { headers = [:]; return }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
