import ExperimentStore
import Foundation
import TestSupport
import Testing

/// The pages in Debian's headless chromium, served by the built `blocklab ui`; series are
/// counted from dygraphs' own state. Each page is saved as a screenshot in the test output
/// folder (see `Browser.outputFolder`).
@Suite(.serialized, .tags(.browser)) struct BrowserTests {
    /// Metric charts of the page: key → the series labels its dygraph draws (EMA companions aside).
    static let seriesByChart = """
        return Object.fromEntries(window.blocklab.charts.filter(c => c.kind === KIND)
          .map(c => [c.key, c.graph.getLabels().slice(1).filter(l => !l.endsWith(' (EMA)'))]))
        """

    @Test func runsPageListsTheStoresRunsFiltersAndSorts() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "alpha", tags: ["team": "ml"], dir: dir.path)
        try Fixtures.run(in: store, name: "beta", steps: 80, status: .failed, dir: dir.path)
        try Fixtures.run(in: store, name: "gamma", steps: 120, tags: ["team": "infra"], dir: dir.path)
        let ui = try UIProcess(store: store.path)
        let browser = try Browser()
        try browser.open(ui.base + "/")
        try browser.waitUntilDrawn()
        let names = "return [...document.querySelectorAll('#runs-table tbody tr td:nth-child(3)')].map(td => td.textContent)"
        #expect(try browser.eval(names) as? [String] == ["gamma", "beta", "alpha"])  // newest first
        #expect(try browser.eval("return [...document.querySelectorAll('#runs-table [data-role=status]')].map(s => s.textContent)") as? [String]
                == ["finished", "failed", "finished"])
        try browser.screenshot("runs")

        try browser.type("#filter", "team=ml")
        try browser.wait("return document.querySelectorAll('#runs-table tbody tr').length === 1")
        #expect(try browser.eval(names) as? [String] == ["alpha"])
        // Emptied as a user does (select all, delete): Selenium's clear() fires no input event.
        _ = try browser.eval("const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); return 1")
        _ = try browser.eval("const s = document.getElementById('status-filter'); s.value = 'failed'; s.dispatchEvent(new Event('change')); return 1")
        try browser.wait("return document.querySelectorAll('#runs-table tbody tr').length === 1")
        #expect(try browser.eval(names) as? [String] == ["beta"])
        _ = try browser.eval("const s = document.getElementById('status-filter'); s.value = ''; s.dispatchEvent(new Event('change')); return 1")
        try browser.click("th[data-sort=name]")
        #expect(try browser.eval(names) as? [String] == ["alpha", "beta", "gamma"])
        // Selecting two runs enables Compare, which opens the compare page of those runs.
        try browser.click("tr[data-run='1'] input.select")
        try browser.click("tr[data-run='3'] input.select")
        try browser.click("#compare")
        try browser.wait("return location.pathname === '/compare' && location.search === '?runs=1,3'")
    }

    @Test func runPageDrawsOneSeriesPerMetricKeyAndTheHardware() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let keys = ["train/loss", "train/lr", "train/grad_norm", "val/loss", "val/perplexity", "tokens_per_s"]
        let run = try Fixtures.run(in: store, name: "trained", steps: 3_000, keys: keys, dir: dir.path)
        let ui = try UIProcess(store: store.path)
        let browser = try Browser()
        try browser.open(ui.base + "/runs/\(run.id)")
        try browser.waitUntilDrawn()
        let series = try browser.eval(Self.seriesByChart.replacingOccurrences(of: "KIND", with: "'metric'")) as? [String: [String]]
        #expect(series == Dictionary(uniqueKeysWithValues: keys.map { ($0, [$0]) }))
        // Groups in order: train, val, then keys without a prefix.
        #expect(try browser.eval("return [...document.querySelectorAll('.group h3')].map(h => h.textContent)") as? [String]
                == ["train", "val", "other"])
        // Every chart holds points (M4 of 3,000 steps at about one bucket per pixel).
        #expect(try browser.eval("return window.blocklab.charts.filter(c => c.kind === 'metric').every(c => c.graph.numRows() > 100)") as? Bool == true)
        #expect(try browser.eval("return window.blocklab.charts.filter(c => c.kind === 'hardware').map(c => c.key)") as? [String]
                == ["cpu", "ram", "ram_bytes", "rss"])
        #expect(try browser.eval("return document.querySelectorAll('.timeline .phase').length") as? Int == 2)
        #expect(try browser.eval("return document.querySelector('table.checkpoints tbody td').textContent") as? String == "2999")
        try browser.screenshot("run")

        // Log scale and the x axis switch redraw the same series.
        try browser.click("[data-role=log]")
        #expect(try browser.eval("return window.blocklab.charts.find(c => c.key === 'train/loss').graph.getOption('logscale')") as? Bool == true)
        _ = try browser.eval("const s = document.querySelector('[data-role=axis]'); s.value = 'epoch'; s.dispatchEvent(new Event('change')); return 1")
        #expect(try browser.eval("return window.blocklab.charts.find(c => c.key === 'train/loss').graph.getLabels()[0]") as? String == "epoch")
        #expect(try browser.eval("const g = window.blocklab.charts.find(c => c.key === 'train/loss').graph; return g.getValue(g.numRows() - 1, 0)") as? Double == 29.99)
        // On a time axis the hardware charts shade each phase that lasted (the fixture's
        // tokenize phase takes no time, so only train is drawn); the RSS chart has RssAnon beside it.
        #expect(try browser.eval("return window.blocklab.charts.filter(c => c.kind === 'hardware').every(c => typeof c.graph.getOption('underlayCallback') === 'function')") as? Bool == true)
        #expect(try browser.eval("return window.blocklab.phaseSpans") as? [String] == ["train"])
        #expect(try browser.eval("return window.blocklab.charts.find(c => c.key === 'rss').raw") as? [String] == ["rss", "rss anon"])
    }

    @Test func comparePageOverlaysTheRunsAndShowsOnlyDifferingConfigKeys() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        for (index, lr) in ["1e-4", "3e-4", "1e-3"].enumerated() {
            try Fixtures.run(in: store, name: "lr-\(lr)", steps: 500 + index * 100,
                             config: ["training.base_learning_rate": lr, "training.seed": "42", "training.warmup": index == 2 ? "200" : "100"],
                             dir: dir.path)
        }
        let ui = try UIProcess(store: store.path)
        let browser = try Browser()
        try browser.open(ui.base + "/compare?runs=1,2,3")
        try browser.waitUntilDrawn()
        let series = try browser.eval(Self.seriesByChart.replacingOccurrences(of: "KIND", with: "'compare'")) as? [String: [String]]
        let names = ["lr-1e-4 #1", "lr-3e-4 #2", "lr-1e-3 #3"]
        #expect(series == ["train/loss": names, "train/lr": names, "val/loss": names])
        #expect(try browser.eval("return [...document.querySelectorAll('[data-role=config-diff] tbody tr')].map(r => r.dataset.key)") as? [String]
                == ["training.base_learning_rate", "training.warmup"])
        #expect(try browser.eval("return document.querySelectorAll('.legend-table tbody tr').length") as? Int == 9)
        try browser.screenshot("compare")
        try browser.click("[data-role=all-keys]")
        #expect(try browser.eval("return document.querySelectorAll('[data-role=config-diff] tbody tr').length") as? Int == 3)
    }

    @Test func sqlPageShowsResultsAndRefusesDelete() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "alpha", dir: dir.path)
        let ui = try UIProcess(store: store.path)
        let browser = try Browser()
        try browser.open(ui.base + "/sql")
        try browser.waitUntilDrawn()
        #expect(try browser.eval("return document.querySelector('#sql-result tbody td:nth-child(2)').textContent") as? String == "alpha")
        #expect(try browser.eval("return [...document.querySelectorAll('#sql-schema li')].some(li => li.textContent.startsWith('metric_history'))") as? Bool == true)
        try browser.screenshot("sql")
        try browser.type("#sql-query", "DELETE FROM runs")
        try browser.click("#sql-run")
        let (message, _) = try browser.wait("const e = document.getElementById('sql-error'); return e && e.textContent")
        #expect((message as? String)?.contains("read-only: DELETE is refused") == true)
        try browser.screenshot("sql-refused")
        #expect(try store.runs().count == 1)
    }

    /// The README's promise: a running run's page is at most about 2 s behind the writer. Held
    /// without timing anything: the server reports the page's poll interval (1 s) and the
    /// writer's flush interval, and a point that reaches the store is on the page within two
    /// polls (one poll may have been under way when it landed; the next one reads it).
    @Test func aLiveRunUpdatesItsOpenPageWithinTwoPollsAndTurnsCrashedWhenKilled() throws {
        let dir = TempDir()
        let path = dir.file("s.db")
        _ = try ExperimentStore.open(at: path)
        let writer = try IngestProcess(store: path, name: "live")
        for step in 0..<20 { writer.send("{\"step\": \(step), \"train/loss\": \(3.0 - Double(step) * 0.01)}") }
        let store = try ExperimentStore.open(at: path, mode: .readOnly)
        let lastStep = { try? store.metricSummaries(runID: store.run("live").id).first?.lastStep }
        // `while`, not `for ... where`: a `where` clause skips the body but goes on iterating.
        var tries = 0
        while (try? store.metricSummaries(runID: store.run("live").id).first?.count) != 20, tries < 1_200 {
            Thread.sleep(forTimeInterval: 0.05)  // until the writer's first flush (a hang guard)
            tries += 1
        }
        let ui = try UIProcess(store: path)
        let detail = try RawHTTP.exchange(RawHTTP.request("GET", "/api/runs/live", host: "127.0.0.1:\(ui.port)"), port: ui.port)
        let poll = try #require(detail.object["poll_seconds"] as? Double), flush = try #require(detail.object["writer_flush_seconds"] as? Double)
        #expect(poll == 1 && flush <= 1 && poll + flush <= 2, "poll \(poll) s, flush \(flush) s")

        let browser = try Browser()
        try browser.open(ui.base + "/runs/live")
        try browser.waitUntilDrawn()
        #expect(try browser.eval("return document.querySelector('[data-role=status]').textContent") as? String == "running")
        let lastX = "const c = window.blocklab.charts.find(c => c.key === 'train/loss'); const g = c && c.graph; return g && g.getValue(g.numRows() - 1, 0)"
        #expect(try browser.eval(lastX) as? Int == 19)

        writer.send("{\"step\": 500, \"train/loss\": 0.123}")
        tries = 0
        while lastStep() != 500, tries < 12_000 {
            Thread.sleep(forTimeInterval: 0.005)  // until it is in the store (a hang guard)
            tries += 1
        }
        try #require(lastStep() == 500, "step 500 never reached the store")
        let pollsAtFlush = try #require(try browser.eval("return window.blocklab.polls") as? Int)
        // The poll whose answer drew the point, as the page recorded it when it redrew (so a
        // slow look from the test cannot count a later poll).
        let (shown, shownAfter) = try browser.wait("return (() => { \(lastX) })() === 500 ? [window.blocklab.lastChangePoll] : null")
        let pollsAtShow = try #require((shown as? [Int])?.first)
        print("live: step 500 appeared on the open page \(pollsAtShow - pollsAtFlush) polls and \(Int(shownAfter)) ms after it reached the store")
        #expect(pollsAtShow - pollsAtFlush <= 2, "step 500 took \(pollsAtShow - pollsAtFlush) polls after it reached the store")
        #expect(try browser.eval("const g = window.blocklab.charts.find(c => c.key === 'train/loss').graph; return g.getValue(g.numRows() - 1, 1)") as? Double == 0.123)
        try browser.screenshot("live")

        writer.kill9()
        let (_, crashedAfter) = try browser.wait("return document.querySelector('[data-role=status]').textContent === 'crashed'")
        print("live: the killed run read as crashed \(Int(crashedAfter)) ms after SIGKILL")
        try browser.screenshot("live-crashed")
    }

    /// The run page shows the console log, appends lines printed while it is open, and puts a
    /// printed `<script>` on the page as text that never runs.
    @Test func theRunPageShowsTheConsoleLogLiveAndAsText() throws {
        let dir = TempDir()
        let path = dir.file("s.db")
        _ = try ExperimentStore.open(at: path)
        let writer = try IngestProcess(store: path, name: "printer")
        defer { writer.finish() }
        writer.send(#"{"step": 1, "train/loss": 2.5}"#)
        writer.send(#"{"type": "console", "stream": "stderr", "line": "<script>window.pwned = 1</script><b>bold</b>"}"#)
        let store = try ExperimentStore.open(at: path, mode: .readOnly)
        var tries = 0
        while (try? store.consoleLines(runID: store.run("printer").id).count) != 1, tries < 1_200 {
            Thread.sleep(forTimeInterval: 0.05)  // until the writer's first flush (a hang guard)
            tries += 1
        }
        let ui = try UIProcess(store: path)
        let browser = try Browser()
        try browser.open(ui.base + "/runs/printer")
        try browser.waitUntilDrawn()
        let texts = "return [...document.querySelectorAll('[data-role=console] .console-text')].map(s => s.textContent)"
        _ = try browser.wait("return document.querySelectorAll('[data-role=console] .console-line').length === 1")
        #expect(try browser.eval(texts) as? [String] == ["<script>window.pwned = 1</script><b>bold</b>"])
        #expect(try browser.eval("return document.querySelectorAll('[data-role=console] script, [data-role=console] b').length") as? Int == 0)
        #expect(try browser.eval("return window.pwned === undefined") as? Bool == true)
        // A line printed while the page is open is appended on a later poll.
        writer.send(#"{"type": "console", "stream": "stdout", "line": "epoch 2 done"}"#)
        _ = try browser.wait("return document.querySelectorAll('[data-role=console] .console-line').length === 2")
        #expect(try browser.eval(texts) as? [String] == ["<script>window.pwned = 1</script><b>bold</b>", "epoch 2 done"])
        try browser.screenshot("run-console")
    }

    @Test func theReportOpensFromDiskAndDrawsTheSameCharts() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", steps: 2_000, dir: dir.path)
        try Fixtures.run(in: store, name: "b", steps: 1_500, config: ["training.base_learning_rate": "1e-3", "training.seed": "42"], dir: dir.path)
        let out = dir.file("report.html")
        let made = try Binary.run(["report", "1", "2", "--store", store.path, "--out", out])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout == out + "\n")

        let browser = try Browser()
        try browser.open("file://" + out)
        try browser.waitUntilDrawn()
        let metric = try browser.eval(Self.seriesByChart.replacingOccurrences(of: "KIND", with: "'metric'")) as? [String: [String]]
        #expect(metric?.keys.sorted() == ["train/loss", "train/lr", "val/loss"])
        #expect(try browser.eval("return window.blocklab.charts.filter(c => c.kind === 'metric').length") as? Int == 6)  // 3 keys × 2 runs
        #expect(try browser.eval("return window.blocklab.charts.filter(c => c.kind === 'compare').map(c => c.raw.length)") as? [Int] == [2, 2, 2])
        #expect(try browser.eval("return window.blocklab.charts.filter(c => c.kind === 'hardware').length") as? Int == 8)
        // Nothing was fetched: every byte came inside the file.
        #expect(try browser.eval("return performance.getEntriesByType('resource').length") as? Int == 0)
        #expect(try browser.eval("return [...document.querySelectorAll('[data-role=config-diff] tbody tr')].map(r => r.dataset.key)") as? [String]
                == ["training.base_learning_rate"])
        try browser.screenshot("report")
    }

    @Test func withoutItsTokenANonLoopbackServerAnswers401() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "alpha", dir: dir.path)
        let refused = try Binary.run(["ui", "--store", store.path, "--host", "0.0.0.0", "--port", "0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refusing to listen on 0.0.0.0 without a token"))

        let token = "browser-test-token-0123456789"
        // Bound on every address; the browser only talks to it over 127.0.0.1.
        let ui = try UIProcess(store: store.path, extra: ["--host", "0.0.0.0", "--token-env", "BLOCKLAB_TEST_UI_TOKEN"],
                               environment: ["BLOCKLAB_TEST_UI_TOKEN": token])
        let browser = try Browser()
        try browser.open(ui.base + "/")
        #expect((try browser.eval("return document.getElementById('error').textContent") as? String)?.contains("needs its token") == true)
        #expect(try browser.eval("return document.title") as? String == "Error 401 · BlockLab")
        try browser.screenshot("token-401")
        try browser.open(ui.base + "/?token=" + token)
        try browser.waitUntilDrawn()
        #expect(try browser.eval("return location.search") as? String == "")
        #expect(try browser.eval("return document.querySelectorAll('#runs-table tbody tr').length") as? Int == 1)
    }
}
