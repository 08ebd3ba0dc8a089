import ExperimentStore
import Foundation
import Hummingbird

/// `/api/sql` and `/api/schema`: people's SQL through `ReadOnlyQuery`, the guard of
/// `blocklab sql`, within the dashboard's limits (`sqlLimits`), on the SQL gate's threads.
extension DashboardServer {
    /// A time limit (`--sql-timeout`, default 5 s), at most `sqlMaxRows` rows (`max_rows` may
    /// ask for fewer, never more, and never none), `sqlMaxResultBytes` of answer and
    /// `sqlMaxValueBytes` per value.
    var sqlLimits: ReadOnlyQuery.Limits {
        ReadOnlyQuery.Limits(
            maxRows: Self.sqlMaxRows, timeout: configuration.sqlTimeout, maxResultBytes: Self.sqlMaxResultBytes,
            maxValueBytes: Self.sqlMaxValueBytes,
            raiseTimeout: "restart the dashboard with `blocklab ui --sql-timeout SECONDS` to raise it, or run the query with `blocklab sql --timeout SECONDS`",
            cancellation: sqlGate.cancellation)
    }

    func addSQLRoutes(to router: Router<BasicRequestContext>) {
        let store = self.store
        let gate = sqlGate, sqlLimits = sqlLimits
        router.get("/api/sql") { request, _ in
            let query = Query(request)
            guard let sql = query.string("q"), !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw DashboardError.badRequest("give a query: /api/sql?q=SELECT ... (read-only; see /api/schema for the tables)")
            }
            let format = query.string("format") ?? "json"
            guard ["json", "csv"].contains(format) else { throw DashboardError.badRequest("format=\(format) is not known: use json or csv") }
            var limits = sqlLimits
            limits.maxRows = try query.int("max_rows", in: 1...DashboardServer.sqlMaxRows, hint: "the dashboard's cap; `blocklab sql --max-rows N` has its own")
                ?? DashboardServer.sqlDefaultRows
            let path = try store.store().path, chosen = limits
            let result = try await gate.run { try ReadOnlyQuery.run(sql, storePath: path, limits: chosen) }
            if format == "csv" {
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                       .contentDisposition: "attachment; filename=\"query.csv\""],
                                body: .init(byteBuffer: ByteBuffer(string: CSV.render(result))))
            }
            return try json(SQLResult(result))
        }
        router.get("/api/schema") { _, _ in
            let path = try store.store().path
            let result = try await gate.run {
                try ReadOnlyQuery.run("""
                    SELECT name, type, sql FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'
                    ORDER BY type, name
                    """, storePath: path, limits: sqlLimits)
            }
            return try json(SQLResult(result))
        }
    }
}

/// A query's answer as JSON: the last statement's columns and rows (the whole answer of one
/// statement), every statement's under `results` when there were several, and whether a
/// limit cut it (`truncated`, `limit`: `rows` or `bytes`, and a `notice` saying what to do).
struct SQLResult: Encodable {
    struct Statement: Encodable {
        var columns: [String]
        var rows: [[JSONValue]]
    }
    var columns: [String]
    var rows: [[JSONValue]]
    var truncated: Bool
    var limit: String?
    var notice: String?
    var results: [Statement]?

    init(_ result: ReadOnlyQuery.Result) {
        columns = result.columns
        rows = result.rows
        truncated = result.truncated
        switch result.stop {
        case .rows(let cap)?:
            limit = "rows"
            notice = "showing the first \(cap) rows; more exist: page with LIMIT/OFFSET, or ask for up to \(DashboardServer.sqlMaxRows) with max_rows"
        case .bytes(let cap)?:
            limit = "bytes"
            notice = "stopped at \(cap >> 20) MiB of results, the dashboard's cap: select fewer or shorter columns, or page with LIMIT/OFFSET"
        case nil: break
        }
        if result.statements.count > 1 { results = result.statements.map { Statement(columns: $0.columns, rows: $0.rows) } }
    }
}

/// RFC 4180 CSV of a query result; several statements' tables are separated by an empty line.
enum CSV {
    static func render(_ result: ReadOnlyQuery.Result) -> String {
        func field(_ value: JSONValue) -> String {
            let text = value == .null ? "" : value.displayText
            if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        }
        return result.statements.map { statement in
            ([statement.columns.map { field(.string($0)) }] + statement.rows.map { $0.map(field) })
                .map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        }.joined(separator: "\r\n")
    }
}
