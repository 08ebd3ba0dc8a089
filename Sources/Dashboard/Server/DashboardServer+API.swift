import ExperimentStore
import Foundation
import Hummingbird

/// The JSON API the pages use and scripts can use too (documented in docs/dashboard.md, "The JSON API"):
///
///     GET  /api/runs                                       every run with its list figures
///     GET  /api/runs/{run}                                 one run: summaries, phases, checkpoints, config...
///     GET  /api/runs/{run}/metrics?keys=&from=&to=&buckets= series, M4-downsampled to `buckets` (default 1000)
///     GET  /api/runs/{run}/hardware?points=                hardware samples as columns
///     GET  /api/runs/{run}/console?after=&limit=           console lines after a seq, and the log's figures
///     GET  /api/compare?runs=A,B,...&buckets=              runs side by side, series overlaid
///     GET  /api/sql?q=SELECT...&max_rows=&format=json|csv  read-only SQL, the guard of `blocklab sql`
///     GET  /api/schema                                     the store's tables and views
///     POST /api/runs/{run}/tags   {"key": K, "value": V}   same-origin only
///     POST /api/runs/{run}/note   {"note": TEXT}           same-origin only
///
/// {run} is an id, a uuid prefix, a name or `latest`. Errors: 4xx/503 with {"error": "..."}.
extension DashboardServer {
    func addAPIRoutes(to router: Router<BasicRequestContext>) {
        let store = self.store
        router.get("/api/runs") { _, _ in try json(DashboardData.runList(store.store())) }
        router.get("/api/runs/:run") { _, context in
            try json(DashboardData.runDetail(store.store(), run: context.parameters.require("run")))
        }
        router.get("/api/runs/:run/metrics") { request, context in
            let query = Query(request)
            let keys = try query.list("keys")
            let response = try DashboardData.metrics(store.store(), run: context.parameters.require("run"), keys: keys,
                                                     from: try query.int("from"), to: try query.int("to"),
                                                     buckets: try query.int("buckets", in: 1...DashboardData.maxBuckets) ?? 1000)
            return try json(response)
        }
        router.get("/api/runs/:run/hardware") { request, context in
            let run = try store.store().run(context.parameters.require("run"))
            let points = try Query(request).int("points", in: 1...DashboardData.maxBuckets) ?? 2000
            return try json(try store.store().hardwareSeries(runID: run.id, maxPoints: points))
        }
        router.get("/api/compare") { request, _ in
            let query = Query(request)
            guard let runs = try query.list("runs") else {
                throw DashboardError.badRequest("compare needs runs: /api/compare?runs=ID,ID,... (ids, names or uuid prefixes)")
            }
            return try json(DashboardData.compare(store.store(), runs: runs,
                                                  buckets: try query.int("buckets", in: 1...DashboardData.maxBuckets) ?? 1000))
        }
        addSQLRoutes(to: router)
        addConsoleRoutes(to: router)
        router.post("/api/runs/:run/tags") { request, context in
            let body = try await JSONBody(request, context: context)
            let key = try body.string("key"), value = try body.string("value")
            guard !key.isEmpty else { throw DashboardError.badRequest("a tag needs a non-empty key") }
            let run = try store.store().run(context.parameters.require("run"))
            try store.write { try $0.setTag(runID: run.id, key: key, value: value) }
            return try json(DashboardData.runDetail(store.store(), run: String(run.id)))
        }
        router.post("/api/runs/:run/note") { request, context in
            let note = try await JSONBody(request, context: context).string("note")
            let run = try store.store().run(context.parameters.require("run"))
            try store.write { try $0.setNote(runID: run.id, note: note) }
            return try json(DashboardData.runDetail(store.store(), run: String(run.id)))
        }
    }
}

/// A JSON response with the store's encoder (snake_case keys).
func json<T: Encodable>(_ value: T) throws -> Response {
    Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
             body: .init(byteBuffer: ByteBuffer(bytes: try DashboardData.encode(value))))
}

/// Query parameters, strictly parsed: a malformed value is a 400 that names it.
struct Query {
    let parameters: [String: String]

    init(_ request: Request) {
        var parameters = [String: String]()
        for (key, value) in request.uri.queryParameters { parameters[String(key)] = String(value) }
        self.parameters = parameters
    }

    func string(_ name: String) -> String? { parameters[name] }

    func int(_ name: String, in range: ClosedRange<Int>? = nil, hint: String? = nil) throws -> Int? {
        guard let text = parameters[name], !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw DashboardError.badRequest("\(name)=\(text) is not an integer") }
        if let range, !range.contains(value) {
            throw DashboardError.badRequest("\(name)=\(value) is out of range: use \(range.lowerBound)...\(range.upperBound)"
                                            + (hint.map { " (\($0))" } ?? ""))
        }
        return value
    }

    /// A comma-separated list; nil when absent or empty.
    func list(_ name: String) throws -> [String]? {
        guard let text = parameters[name], !text.isEmpty else { return nil }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.contains(where: \.isEmpty) else { throw DashboardError.badRequest("\(name)=\(text) has an empty item") }
        return items
    }
}

/// A small JSON object body (at most 64 KiB) whose fields must be strings.
struct JSONBody {
    let object: [String: Any]

    init(_ request: Request, context: BasicRequestContext) async throws {
        var request = request
        guard request.headers[.contentType]?.hasPrefix("application/json") == true else {
            throw DashboardError(status: 415, "send the body as JSON with Content-Type: application/json")
        }
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw DashboardError.badRequest("the body is not a JSON object")
        }
        self.object = object
    }

    func string(_ name: String) throws -> String {
        guard let value = object[name] as? String else { throw DashboardError.badRequest("the body needs \"\(name)\": a string") }
        return value
    }
}
