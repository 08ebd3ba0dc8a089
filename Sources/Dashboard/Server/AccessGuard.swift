import Foundation
import Hummingbird

/// Runs before every route: the token (when the server has one), the same-origin rule for
/// requests that change something, the security headers, and the one place where any error
/// becomes a response (JSON under `/api/`, a page elsewhere), so nothing turns into a bare 500.
struct AccessGuard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?

    static let cookieName = "blocklab_token"
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await guarded(request, context: context, next: next)
        } catch {
            response = Self.errorResponse(Self.dashboardError(error), isAPI: request.uri.path.hasPrefix("/api/"))
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
        response.headers[Self.referrerPolicy] = "no-referrer"
        return response
    }

    private func guarded(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token, !token.isEmpty {
            let queryToken = request.uri.queryParameters["token"].map(String.init)
            if let queryToken, Self.constantTimeEqual(queryToken, token), request.method == .get, !request.uri.path.hasPrefix("/api/") {
                // A link with ?token= logs the browser in: a cookie, then the same page without the secret in its address.
                var response = Response.redirect(to: request.uri.path, type: .found)
                response.headers[.setCookie] = "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
                return response
            }
            let offered = Self.bearer(request) ?? Self.cookie(request) ?? queryToken
            guard let offered, Self.constantTimeEqual(offered, token) else {
                throw DashboardError(status: 401, "this dashboard needs its token: open it as /?token=TOKEN once (a cookie keeps it), or send `Authorization: Bearer TOKEN`")
            }
        }
        if request.method != .get && request.method != .head {
            try Self.checkSameOrigin(request)
        }
        return try await next(request, context)
    }

    /// A change must come from a page this server served: its Origin must name this host.
    /// Browsers always send Origin on POST; another site's page cannot forge it.
    static func checkSameOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin], let host = request.head.authority else {
            throw DashboardError(status: 403, "refused: a change needs the same-origin check (an Origin header naming this server); send it from the dashboard's own pages, or add `Origin: http://HOST:PORT` in a script")
        }
        guard origin == "http://\(host)" || origin == "https://\(host)" else {
            throw DashboardError(status: 403, "refused: the request comes from \(origin), not from this dashboard (http://\(host))")
        }
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
            let message = error.status == .notFound ? "no such page or endpoint: see the API list in README.md (`blocklab ui`)"
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
