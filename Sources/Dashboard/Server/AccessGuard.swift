import Foundation
import Hummingbird

/// Runs before every route, in this order: the request must address this server (its one
/// `Host` on the allow-list), use GET, HEAD or POST, carry the token when the server has one
/// (header or cookie; `?token=` only logs a page in), and a POST must come from a page of an
/// allowed name (`Origin`). It also sets the security headers, and is the one place where any
/// error becomes a response (JSON under `/api/`, a page elsewhere), so nothing turns into a bare 500.
struct AccessGuard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?
    let hosts: BoundHosts

    static let cookieName = "blocklab_token"
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!
    static let hostField = HTTPFields.Element.Name("Host")!
    static let allowedMethods: [HTTPRequest.Method] = [.get, .head, .post]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await guarded(request, context: context, next: next)
        } catch {
            response = Self.errorResponse(Self.dashboardError(error), isAPI: request.uri.path.hasPrefix("/api/"))
            if response.status == .methodNotAllowed { response.headers[.allow] = "GET, HEAD, POST" }
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
        response.headers[Self.referrerPolicy] = "no-referrer"
        return response
    }

    private func guarded(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let hosts = hosts.current else {
            throw DashboardError(status: 503, "the dashboard is still starting: try again in a moment")
        }
        try Self.checkHost(request, hosts)
        guard Self.allowedMethods.contains(request.method) else {
            throw DashboardError(status: 405, "\(request.method.rawValue) is not served here: the dashboard answers GET, HEAD and POST only")
        }
        let isAPI = request.uri.path.hasPrefix("/api/")
        let queryToken = request.uri.queryParameters["token"].map(String.init)
        if queryToken != nil && (isAPI || request.method != .get) {
            throw DashboardError(status: 400, "a token in the address is taken only to log a page in: send `Authorization: Bearer TOKEN` (or the cookie the page set) to the API, so the token stays out of logs and history")
        }
        if let token, !token.isEmpty {
            if let queryToken, Self.constantTimeEqual(queryToken, token) {
                // A link with ?token= logs the browser in: a cookie, then the same page without the secret in its address.
                var response = Response.redirect(to: Self.addressWithoutToken(path: request.uri.path, query: request.uri.query), type: .found)
                response.headers[.setCookie] = "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
                return response
            }
            guard let offered = Self.bearer(request) ?? Self.cookie(request), Self.constantTimeEqual(offered, token) else {
                throw DashboardError(status: 401, "this dashboard needs its token: open it as /?token=TOKEN once (a cookie keeps it), or send `Authorization: Bearer TOKEN`")
            }
        }
        if request.method == .post {
            try Self.checkOrigin(request, hosts)
        }
        return try await next(request, context)
    }

    /// The request must carry exactly one Host, and it must name this server. A page on
    /// another site reaches this one only under its own name, which its browser puts in Host.
    static func checkHost(_ request: Request, _ hosts: HostAllowList) throws {
        let given = (request.head.authority.map { [$0] } ?? []) + request.headers[values: hostField]
        guard given.count == 1, let text = given.first else {
            throw DashboardError(status: 403, given.isEmpty
                ? "refused: the request has no Host header; this dashboard answers requests addressed to \(hosts.described) (add a name with `blocklab ui --allow-host NAME`)"
                : "refused: the request has \(given.count) Host headers; send one, naming this dashboard (\(hosts.described))")
        }
        guard let host = HostAndPort(authority: text), hosts.allows(host) else {
            throw DashboardError(status: 403, """
                refused: this dashboard answers requests addressed to \(hosts.described), not to \(text). \
                If \(text) is a name of this machine (a DNS name, a reverse proxy in front), restart with \
                `blocklab ui --allow-host NAME` (repeatable).
                """)
        }
    }

    /// A change must come from a page of an allowed name (its Origin), whatever the request's
    /// own Host says. Browsers always send Origin on POST; another site's page cannot forge it.
    static func checkOrigin(_ request: Request, _ hosts: HostAllowList) throws {
        guard let origin = request.headers[.origin] else {
            throw DashboardError(status: 403, "refused: a change needs the same-origin check (an Origin header naming this server); send it from the dashboard's own pages, or add `Origin: http://HOST:PORT` in a script")
        }
        guard let host = HostAndPort(origin: origin), hosts.allows(host) else {
            throw DashboardError(status: 403, """
                refused: the request comes from \(origin), not from a page of this dashboard (\(hosts.described)); \
                a name of this machine can be added with `blocklab ui --allow-host NAME`
                """)
        }
    }

    /// The page's own address without `token=`, the other query parameters kept as sent.
    /// Leading slashes and backslashes collapse to one slash, so the redirect stays on this
    /// server (`//other.example/` would leave it).
    static func addressWithoutToken(path: String, query: String?) -> String {
        let path = "/" + path.drop { $0 == "/" || $0 == "\\" }
        let kept = (query ?? "").split(separator: "&").filter { $0.split(separator: "=", maxSplits: 1).first != "token" }
        return kept.isEmpty ? path : path + "?" + kept.joined(separator: "&")
    }

    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return String(value.dropFirst("Bearer ".count))
    }

    static func cookie(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == cookieName { return String(pair[1]) }
            }
        }
        return nil
    }

    /// Compares every byte whatever the first difference, so timing tells nothing of the token.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    static func dashboardError(_ error: any Error) -> DashboardError {
        if let error = error as? HTTPError {
            let message = error.status == .notFound ? "no such page or endpoint: see the API list in docs/dashboard.md"
                : (error.body ?? error.status.reasonPhrase)
            return DashboardError(status: error.status.code, message)
        }
        return DashboardError.from(error)
    }

    static func errorResponse(_ error: DashboardError, isAPI: Bool) -> Response {
        let status = HTTPResponse.Status(code: error.status)
        if isAPI {
            let body = (try? JSONEncoder().encode(["error": error.message, "status": String(error.status)])) ?? Data()
            return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: Pages.errorPage(status: error.status, message: error.message))))
    }
}
