import ExperimentStore
import Foundation
import TestSupport
import Testing

/// `blocklab ui` started, refused and stopped as a user does it: a port in use, a damaged
/// store, Ctrl-C and `kill`.
@Suite struct UICommandLifecycleTests {
    @Test func aPortInUseIsNamedWithTheFix() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let (fd, port) = try listeningLoopbackSocket()
        defer { close(fd) }
        let result = try Binary.run(["ui", "--store", store.path, "--port", "\(port)"], deadline: .seconds(300))
        #expect(result.status == 1)
        #expect(result.stderr.contains("port \(port) on 127.0.0.1 is in use (another `blocklab ui`?): pick another with --port N, or --port 0 for any free port"),
                "\(result.stderr)")
        #expect(!result.stderr.contains("bind(") && !result.stderr.contains("errno"), "\(result.stderr)")
    }

    /// A copy of a store with 15,000 points as one file (no WAL), with the pages of
    /// `tables` overwritten (all but the first page of the file when `tables` is nil); the
    /// pages are found with SQLite's `dbstat`.
    static func damagedStore(_ dir: TempDir, name: String, tables: [String]?) throws -> String {
        let path = dir.file("\(name).db")
        if !FileManager.default.fileExists(atPath: dir.file("s.db")) {
            let store = try ExperimentStore.open(at: dir.file("s.db"))
            try Fixtures.run(in: store, name: "a", steps: 5_000, dir: dir.path)
        }
        try runProcess("/usr/bin/sqlite3", ["-cmd", ".timeout 60000", dir.file("s.db"), "VACUUM INTO '\(path)'"])
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        var pages = Array(2...(Int(try handle.seekToEnd()) / 4096))
        if let tables {
            let list = tables.map { "'\($0)'" }.joined(separator: ",")
            pages = try runProcess("/usr/bin/sqlite3", [path, "SELECT pageno FROM dbstat WHERE name IN (\(list))"])
                .split(separator: "\n").compactMap { Int($0) }
            try #require(pages.count > 10, "no pages found for \(tables)")
        }
        for page in pages {
            try handle.seek(toOffset: UInt64((page - 1) * 4096))
            handle.write(Data(repeating: 0xAB, count: 4096))
        }
        return path
    }

    @Test func aDamagedStoreIsAClearErrorAtStartOrOnTheRequestsThatReadIt() throws {
        let dir = TempDir()
        // Every page but the first damaged: the schema cannot be read, so `ui` does not start.
        let whole = try Self.damagedStore(dir, name: "whole", tables: nil)
        let refused = try Binary.run(["ui", "--store", whole, "--port", "0"], deadline: .seconds(300))
        #expect(refused.status == 65, "a corrupt store is bad input (exit status 65)")
        #expect(refused.stderr.contains("is corrupt (database disk image is malformed)") && refused.stderr.contains(".recover"),
                "\(refused.stderr)")

        // The metric points' pages damaged: `ui` starts; what reads them answers 503
        // naming the damage and the fix, never a bare 500, and the server goes on answering.
        let half = try Self.damagedStore(dir, name: "half", tables: ["metrics", "metric_blocks"])
        let ui = try UIProcess(store: half)
        defer { ui.stop() }
        let host = "127.0.0.1:\(ui.port)"
        let metrics = try RawHTTP.exchange(RawHTTP.request("GET", "/api/runs/1/metrics", host: host), port: ui.port)
        #expect(metrics.status == 503 && metrics.error.contains("is corrupt") && metrics.error.contains(".recover"), "\(metrics)")
        for path in ["/api/runs", "/", "/api/sql?q=SELECT%20count(*)%20FROM%20metrics"] {
            let reply = try RawHTTP.exchange(RawHTTP.request("GET", path, host: host), port: ui.port)
            #expect([200, 400, 503].contains(reply.status), "\(path): \(reply)")
        }
        #expect(try RawHTTP.exchange(RawHTTP.request("GET", "/static/dashboard.js", host: host), port: ui.port).status == 200)
    }

    /// Ctrl-C or `kill` while a browser holds a connection and a query runs with a ten-minute
    /// limit: the query is stopped (503), the process ends at once, exit status 0, and stderr
    /// holds no error.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalStopsTheUIQuietly(signal: Int32) throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", steps: 10, dir: dir.path)
        let ui = try UIProcess(store: store.path, extra: ["--sql-timeout", "600"])
        let host = "127.0.0.1:\(ui.port)"
        // One request answered, and one connection open and idle, as a browser keeps one.
        let reply = try RawHTTP.exchange(RawHTTP.request("GET", "/api/runs", host: host), port: ui.port)
        #expect(reply.status == 200)
        let idle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(idle) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(ui.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(idle, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        // And a query that would run for ten minutes, running (its thread exists) when the signal comes.
        let endless = "WITH%20RECURSIVE%20c(x)%20AS%20(SELECT%201%20UNION%20ALL%20SELECT%20x%2B1%20FROM%20c)%20SELECT%20count(*)%20FROM%20c"
        let query = RawHTTP.Replies()
        Thread { [port = ui.port] in query.add(Result { try RawHTTP.exchange(RawHTTP.request("GET", "/api/sql?q=" + endless, host: host), port: port) }) }.start()
        try #require(ui.waitForThreads(named: "blocklab-ui-sql", count: 1), "the query never started")

        #expect(ui.stop(with: signal), "blocklab ui did not stop within a minute of the signal")
        let stopped = try #require(query.wait(for: 1)?.first, "the query was not answered").get()
        #expect(stopped.status == 503 && stopped.error.contains("the query was stopped: the dashboard is stopping"), "\(stopped)")
        let errors = ui.stderr()
        #expect(ui.process.terminationStatus == 0, "\(errors)")
        #expect(!errors.lowercased().contains("error"), "\(errors)")
    }
}
