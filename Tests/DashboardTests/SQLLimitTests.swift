import Dashboard
import ExperimentStore
import Foundation
import TestSupport
import Testing

/// `/api/sql` within the dashboard's limits, attacked with raw requests: an endless recursive
/// query, blob and text floods, a row cap asked away; the server answers everything else
/// meanwhile.
@Suite struct SQLLimitTests {
    static let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

    static func server(_ dir: TempDir, sqlTimeout: Double = DashboardServer.defaultSQLTimeout) async throws -> TestServer {
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", steps: 20, dir: dir.path)
        return try await TestServer(.init(storePath: store.path, sqlTimeout: sqlTimeout))
    }

    static func sql(_ query: String, _ extra: String = "") -> String {
        "/api/sql?q=" + query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + extra
    }

    /// As many endless queries as the server runs at once (more than this machine's cores, so
    /// a query run on a thread that serves requests would leave none): every other request is
    /// answered while they run, and one query more is answered 503 at once. Their time limit
    /// is ten minutes, so they are surely running while the test looks (no race with the
    /// clock, however loaded the machine); stopping the server (Ctrl-C) stops them, 503, at once.
    ///
    /// The server is `blocklab ui` in its own process and this test is synchronous, so neither
    /// waits on this process's few concurrency threads, which other suites' long synchronous
    /// tests may hold for minutes.
    @Test func endlessQueriesNeitherHoldTheServerNorItsStop() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", steps: 20, dir: dir.path)
        let ui = try UIProcess(store: store.path, extra: ["--sql-timeout", "600"])
        defer { ui.stop() }
        let request: @Sendable (String) -> Data = { [port = ui.port] target in RawHTTP.request("GET", target, host: "127.0.0.1:\(port)") }
        let endless = RawHTTP.Replies()
        for _ in 0..<DashboardServer.sqlConcurrency {
            Thread { endless.add(Result { try RawHTTP.exchange(request(Self.sql(Self.endless)), port: ui.port) }) }.start()
        }
        try #require(ui.waitForThreads(named: "blocklab-ui-sql", count: DashboardServer.sqlConcurrency), "the queries never started")
        for path in ["/api/runs", "/api/runs/a", "/api/runs/a/metrics", "/", "/static/dashboard.js"] {
            let reply = try RawHTTP.exchange(request(path), port: ui.port)
            #expect(reply.status == 200, "\(path) while the queries run: \(reply)")
        }
        let refused = try RawHTTP.exchange(request(Self.sql("SELECT 1")), port: ui.port)
        #expect(refused.status == 503 && refused.error.contains("4 queries are running already"), "\(refused)")
        #expect(ui.threads(named: "blocklab-ui-sql") == DashboardServer.sqlConcurrency)

        #expect(ui.stop(with: SIGINT), "blocklab ui did not stop within a minute")
        let stopped = try #require(endless.wait(for: DashboardServer.sqlConcurrency), "the queries were not answered")
        for reply in stopped {
            let reply = try reply.get()
            #expect(reply.status == 503 && reply.error.contains("the query was stopped: the dashboard is stopping"), "\(reply)")
        }
    }

    @Test func anEndlessQueryIsStoppedAtItsTimeLimitNamingIt() async throws {
        let dir = TempDir()
        let server = try await Self.server(dir, sqlTimeout: 1)
        defer { Task { await server.stop() } }
        let stopped = try await server.raw(Self.sql(Self.endless), host: server.ownHost)
        #expect(stopped.status == 400)
        #expect(stopped.error.contains("ran past its time limit of 1 s and was stopped; restart the dashboard with `blocklab ui --sql-timeout SECONDS`"),
                "\(stopped)")
        #expect(try await server.raw(Self.sql("SELECT 1"), host: server.ownHost).status == 200)
    }

    @Test func blobAndTextFloodsAreBounded() async throws {
        let dir = TempDir()
        let server = try await Self.server(dir)
        defer { Task { await server.stop() } }
        for query in ["SELECT randomblob(1000000000)", "SELECT zeroblob(1000000000)", "SELECT length(zeroblob(100000000))",
                      "SELECT hex(randomblob(10000000))", "SELECT substr(hex(zeroblob(9000000)), 1, 10)"] {
            let reply = try await server.raw(Self.sql(query), host: server.ownHost)
            #expect(reply.status == 400 && reply.error.contains("grew past 16 MiB"), "\(query): \(reply)")
        }
        // 100 rows of 2,000,000 characters (200 MB) stop at the 32 MiB cap: 16 rows.
        let flood = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100) SELECT hex(randomblob(1000000)) FROM c"
        let capped = try await server.raw(Self.sql(flood), host: server.ownHost)
        #expect(capped.status == 200)
        #expect(capped.body.count < DashboardServer.sqlMaxResultBytes + 1_000_000)
        #expect((capped.object["rows"] as? [[String]])?.count == 16)
        #expect(capped.object["truncated"] as? Bool == true && capped.object["limit"] as? String == "bytes")
        #expect((capped.object["notice"] as? String)?.contains("32 MiB") == true)
    }

    @Test func maxRowsLowersTheCapButNeverLiftsIt() async throws {
        let dir = TempDir()
        let server = try await Self.server(dir)
        defer { Task { await server.stop() } }
        let many = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 20000) SELECT x FROM c"
        for rows in ["0", "-1", "10001", "1000000"] {
            let reply = try await server.raw(Self.sql(many, "&max_rows=\(rows)"), host: server.ownHost)
            #expect(reply.status == 400 && reply.error.contains("out of range: use 1...10000"), "max_rows=\(rows): \(reply)")
        }
        let standard = try await server.raw(Self.sql(many), host: server.ownHost)
        #expect((standard.object["rows"] as? [[Int]])?.count == 1000 && standard.object["limit"] as? String == "rows")
        let most = try await server.raw(Self.sql(many, "&max_rows=10000"), host: server.ownHost)
        #expect((most.object["rows"] as? [[Int]])?.last == [10000] && most.object["truncated"] as? Bool == true)
        let csv = try await server.raw(Self.sql(many, "&max_rows=10000&format=csv"), host: server.ownHost)
        #expect(csv.text.split(separator: "\r\n").count == 10001)
        let few = try await server.raw(Self.sql("SELECT 1 AS a UNION ALL SELECT 2", "&max_rows=2"), host: server.ownHost)
        #expect(few.object["truncated"] as? Bool == false && few.object["limit"] == nil)
    }

    @Test func everyStatementIsAnswered() async throws {
        let dir = TempDir()
        let server = try await Self.server(dir)
        defer { Task { await server.stop() } }
        let reply = try await server.raw(Self.sql("SELECT 1 AS one; SELECT 2 AS two, 3 AS three"), host: server.ownHost)
        let results = try #require(reply.object["results"] as? [[String: Any]], "\(reply)")
        #expect(results.map { $0["columns"] as? [String] ?? [] } == [["one"], ["two", "three"]])
        #expect(reply.object["columns"] as? [String] == ["two", "three"])  // the last, as one statement's answer
        let csv = try await server.raw(Self.sql("SELECT 1 AS one; SELECT 2 AS two", "&format=csv"), host: server.ownHost)
        #expect(csv.text == "one\r\n1\r\n\r\ntwo\r\n2\r\n")
        let single = try await server.raw(Self.sql("SELECT 1 AS one"), host: server.ownHost)
        #expect(single.object["results"] == nil)
    }
}
