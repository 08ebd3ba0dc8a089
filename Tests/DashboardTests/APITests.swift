import Dashboard
import ExperimentStore
import Foundation
import TestSupport
import Testing

/// The JSON API over real HTTP against real store files.
@Suite struct APITests {
    @Test func runsAndOneRunAreServedWithTheirFigures() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let a = try Fixtures.run(in: store, name: "alpha", tags: ["team": "ml"], dir: dir.path)
        try Fixtures.run(in: store, name: "beta", steps: 50, status: .failed, dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }

        let list = try await server.get("/api/runs")
        #expect(list.status == 200)
        let runs = try #require(list.object["runs"] as? [[String: Any]])
        #expect(runs.map { ($0["run"] as? [String: Any])?["name"] as? String } == ["alpha", "beta"])
        #expect(runs.map { ($0["run"] as? [String: Any])?["status"] as? String } == ["finished", "failed"])
        // val/loss is key 2: 4 / (1 + s/100) + 2, lowest at the last step (199).
        let lastTrainLoss: Double = 4 / (1 + 199.0 / 100)
        let bestValLoss: Double = lastTrainLoss + 2
        let typed = try list.decode(DashboardData.RunList.self)
        #expect(typed.runs[0].bestValLoss == bestValLoss)
        #expect(typed.runs[0].bestValLossStep == 199)
        #expect(typed.runs[0].lastTrainLoss == lastTrainLoss)

        for ref in [String(a.id), "alpha", String(a.uuid.prefix(8))] {
            let detail = try await server.get("/api/runs/\(ref)")
            #expect(detail.status == 200)
            let body = detail.object
            #expect((body["run"] as? [String: Any])?["tags"] as? [String: String] == ["team": "ml"])
            #expect((body["metrics"] as? [[String: Any]])?.map { $0["key"] as? String } == ["train/loss", "train/lr", "val/loss"])
            #expect((body["phases"] as? [[String: Any]])?.map { $0["name"] as? String } == ["tokenize", "train"])
            #expect((body["checkpoints"] as? [[String: Any]])?.first?["bytes"] as? Int == 1024)
            #expect((body["params"] as? [[String: Any]])?.map { $0["key"] as? String } == ["training.base_learning_rate", "training.seed"])
            #expect((body["config"] as? [String: Any])?["yaml"] as? String == "training:\n  base_learning_rate: 5e-05\n  seed: 42\n")
            #expect((body["hardware_peaks"] as? [String: Any])?["samples"] as? Int == 4)
        }
    }

    @Test func metricsAreM4DownsampledInTheAskedRange() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try Fixtures.run(in: store, name: "long", steps: 20_000, keys: ["train/loss"], dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }

        let whole = try await server.get("/api/runs/\(run.id)/metrics?keys=train/loss&buckets=100")
        #expect(whole.status == 200)
        let series = try #require((whole.object["series"] as? [[String: Any]])?.first)
        let expected = try store.metricSeries(runID: run.id, key: "train/loss", buckets: 100)
        #expect(series["downsampled"] as? Bool == true)
        #expect(series["steps"] as? [Int] == expected.steps)
        #expect(try #require(series["steps"] as? [Int]).count <= 400)
        #expect(try whole.decode(DashboardData.MetricsResponse.self).series[0].values == expected.values)

        let zoomed = try await server.get("/api/runs/long/metrics?keys=train/loss&from=1000&to=1099&buckets=100")
        let zoomedSeries = try #require((zoomed.object["series"] as? [[String: Any]])?.first)
        #expect(zoomedSeries["downsampled"] as? Bool == false)
        #expect(zoomedSeries["steps"] as? [Int] == Array(1000...1099))

        let all = try await server.get("/api/runs/long/metrics")
        #expect((all.object["series"] as? [[String: Any]])?.map { $0["key"] as? String } == ["train/loss"])

        let hardware = try await server.get("/api/runs/long/hardware")
        #expect(hardware.status == 200)
        #expect((hardware.object["cpu_percent"] as? [Double])?.count == 400)
    }

    @Test func compareOverlaysRunsAndMarksDifferingKeys() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", config: ["training.lr": "1", "training.seed": "42", "training.steps": "10"], dir: dir.path)
        try Fixtures.run(in: store, name: "b", config: ["training.lr": "2", "training.seed": "42", "training.steps": "10"], dir: dir.path)
        try Fixtures.run(in: store, name: "c", keys: ["train/loss"], config: ["training.lr": "3", "training.seed": "42"], dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }

        let reply = try await server.get("/api/compare?runs=a,b,c&buckets=50")
        #expect(reply.status == 200)
        let params = try #require(reply.object["params"] as? [[String: Any]])
        #expect(params.filter { $0["differs"] as? Bool == true }.map { $0["key"] as? String } == ["training.lr", "training.steps"])
        #expect(params.count == 3)
        let series = try #require(reply.object["series"] as? [String: [[String: Any]]])
        #expect(series.keys.sorted() == ["train/loss", "train/lr", "val/loss"])
        #expect(series["train/loss"]?.count == 3)
        let valLoss = try #require(series["val/loss"])
        #expect(valLoss.count == 3 && (valLoss.last?["steps"] as? [Int])?.isEmpty == true)
    }

    @Test func badRequestsAnswer4xxWithAJSONErrorNever500() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }

        let cases: [(String, Int, String)] = [
            ("/api/runs/nope", 404, "no run matches 'nope'"),
            ("/api/runs/999/metrics", 404, "no run matches '999'"),
            ("/api/runs/a/metrics?buckets=abc", 400, "buckets=abc is not an integer"),
            ("/api/runs/a/metrics?buckets=0", 400, "buckets=0 is out of range"),
            ("/api/runs/a/metrics?from=10&to=5", 400, "the step range 10...5 is empty"),
            ("/api/runs/a/metrics?keys=a,,b", 400, "has an empty item"),
            ("/api/runs/a/hardware?points=-1", 400, "points=-1 is out of range"),
            ("/api/compare", 400, "compare needs runs"),
            ("/api/compare?runs=a,zzz", 404, "no run matches 'zzz'"),
            ("/api/sql", 400, "give a query"),
            ("/api/sql?q=DELETE%20FROM%20runs", 400, "DELETE is refused"),
            ("/api/sql?q=SELEC%20x", 400, "SQL error"),
            ("/api/sql?q=SELECT%201&format=xml", 400, "format=xml is not known"),
            ("/api/nothing", 404, "no such page or endpoint"),
        ]
        for (path, status, message) in cases {
            let reply = try await server.get(path)
            #expect(reply.status == status, "\(path)")
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, "\(path)")
            #expect(reply.error.contains(message), "\(path): \(reply.error)")
        }
        let page = try await server.get("/runs/nope")
        #expect(page.status == 404 && page.text.contains("no run matches"))
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(try store.runs().count == 1)  // the refused DELETE changed nothing
    }

    @Test func sqlAnswersJSONAndCSVThroughTheReadOnlyGuard() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a,b", dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }

        let json = try await server.get("/api/sql?q=" + "SELECT name, status FROM run_summary".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(json.object["columns"] as? [String] == ["name", "status"])
        #expect(json.object["rows"] as? [[String]] == [["a,b", "finished"]])
        let capped = try await server.get("/api/sql?max_rows=2&q=SELECT%20step%20FROM%20metric_history")
        #expect((capped.object["rows"] as? [[Int]])?.count == 2 && capped.object["truncated"] as? Bool == true)
        let csv = try await server.get("/api/sql?format=csv&q=SELECT%20name,%20status%20FROM%20runs")
        #expect(csv.text == "name,status\r\n\"a,b\",finished\r\n")
        #expect(csv.headers["content-disposition"]?.contains("attachment") == true)
        let schema = try await server.get("/api/schema")
        let names = try #require(schema.object["rows"] as? [[Any]]).map { $0.first as? String }
        #expect(names.contains("runs") && names.contains("metric_history") && names.contains("run_summary"))
    }

    @Test func tagsAndNotesNeedASameOriginJSONPost() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try Fixtures.run(in: store, name: "a", dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }

        let tagged = try await server.post("/api/runs/a/tags", ["key": "stage", "value": "best"])
        #expect(tagged.status == 200)
        #expect(try store.run("a").tags == ["stage": "best"])
        let noted = try await server.post("/api/runs/\(run.id)/note", ["note": "lr too high"])
        #expect(noted.status == 200 && ((noted.object["run"] as? [String: Any])?["note"] as? String) == "lr too high")

        let foreign = try await server.post("/api/runs/a/tags", ["key": "evil", "value": "1"], origin: "http://attacker.example")
        #expect(foreign.status == 403 && foreign.error.contains("attacker.example"))
        let noOrigin = try await server.post("/api/runs/a/tags", ["key": "evil", "value": "1"], origin: .none)
        #expect(noOrigin.status == 403 && noOrigin.error.contains("same-origin"))
        let form = try await server.request("/api/runs/a/note", method: "POST", headers: ["Origin": server.base, "Content-Type": "text/plain"],
                                            body: Data("note=x".utf8))
        #expect(form.status == 415)
        let emptyKey = try await server.post("/api/runs/a/tags", ["key": "", "value": "1"])
        #expect(emptyKey.status == 400)
        #expect(try store.run("a").tags == ["stage": "best"])
        #expect(try store.run("a").note == "lr too high")
    }

    @Test func aNonLoopbackServerNeedsItsTokenOnEveryRequest() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", dir: dir.path)
        #expect(throws: DashboardError.self) { try DashboardServer(.init(storePath: store.path, host: "0.0.0.0", port: 0)) }
        do {
            _ = try DashboardServer(.init(storePath: store.path, host: "0.0.0.0", port: 0))
        } catch {
            #expect("\(error)".contains("--token-env"))
        }
        #expect(throws: DashboardError.self) { try DashboardServer(.init(storePath: store.path, host: "0.0.0.0", port: 0, token: "short")) }

        let token = "s3cret-token-0123456789"
        // Bound on every address; the test only talks to it over 127.0.0.1.
        let server = try await TestServer(.init(storePath: store.path, host: "0.0.0.0", token: token))
        defer { Task { await server.stop() } }
        for path in ["/", "/api/runs", "/api/runs/a", "/static/dashboard.js", "/api/nothing"] {
            let reply = try await server.get(path)
            #expect(reply.status == 401, "\(path)")
        }
        #expect(try await server.get("/api/runs", headers: ["Authorization": "Bearer wrong-token-0123456789"]).status == 401)
        #expect(try await server.get("/api/runs", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        #expect(try await server.get("/api/runs", headers: ["Cookie": "other=1; blocklab_token=\(token)"]).status == 200)
        let login = try await server.get("/runs/a?token=\(token)")
        #expect(login.status == 302)
        #expect(login.headers["location"] == "/runs/a")
        #expect(login.headers["set-cookie"]?.contains("HttpOnly") == true)
        let post = try await server.request("/api/runs/a/tags", method: "POST",
                                            headers: ["Content-Type": "application/json", "Origin": server.base],
                                            body: Data("{\"key\":\"k\",\"value\":\"v\"}".utf8))
        #expect(post.status == 401)
        #expect(try store.run("a").tags.isEmpty)
    }

    @Test func pagesLoadOnlyFromThisServer() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }
        for path in ["/", "/runs/a", "/compare?runs=a", "/sql"] {
            let page = try await server.get(path)
            #expect(page.status == 200, "\(path)")
            #expect(!page.text.contains("http://") && !page.text.contains("https://") && !page.text.contains("//cdn"), "\(path)")
            #expect(page.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        }
        let library = try await server.get("/static/dygraph.min.js")
        #expect(library.status == 200 && library.text.contains("Dygraph"))
        #expect(try await server.get("/static/dashboard.js").text.contains("blocklab:charts-drawn"))
        #expect(try await server.get("/static/../../etc/passwd").status == 404)
        #expect(try await server.get("/static/dygraph.min.js.map").status == 404)
    }

    @Test func aMissingChartLibraryIsAClearErrorNamingThePackage() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        do {
            _ = try DashboardServer(.init(storePath: store.path, chartLibraryDirectory: dir.file("no-dygraphs")))
            Issue.record("the server started without its chart library")
        } catch {
            #expect("\(error)".contains("apt-get install libjs-dygraphs"))
        }
    }
}
