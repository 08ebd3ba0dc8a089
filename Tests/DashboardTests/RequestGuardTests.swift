import Dashboard
import ExperimentStore
import Foundation
import HardwareMonitor
import TestSupport
import Testing

/// Attacks on the server, sent as raw bytes over a socket (`RawHTTP`): every one must be
/// refused before a handler runs, and leave the store as it was.
@Suite struct RequestGuardTests {
    /// Every kind of route: pages, the API (reads and the SQL), static files, an unknown path.
    static let routes = ["/", "/runs/1", "/compare?runs=1", "/sql", "/api/runs", "/api/runs/1", "/api/runs/1/metrics",
                         "/api/runs/1/hardware", "/api/runs/1/console", "/api/compare?runs=1", "/api/sql?q=SELECT%20name%20FROM%20runs", "/api/schema",
                         "/static/dashboard.js", "/static/dashboard.css", "/static/dygraph.min.js", "/static/dygraph.min.css", "/nothing"]

    static func server(_ dir: TempDir, token: String? = nil, host: String = "127.0.0.1", allowedHosts: [String] = []) async throws
        -> (TestServer, ExperimentStore) {
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", steps: 20, dir: dir.path)
        let server = try await TestServer(.init(storePath: store.path, host: host, token: token, allowedHosts: allowedHosts))
        return (server, store)
    }

    @Test func aForeignHostIsRefusedOnEveryRouteBeforeAnyHandler() async throws {
        let dir = TempDir()
        let (server, store) = try await Self.server(dir)
        defer { Task { await server.stop() } }
        let port = server.port
        // A rebinding page's names (its own, and ones that only look local), a known name on
        // the wrong port, and 127.0.0.1 without a port (port 80, which this server is not on).
        let foreign = ["evil.example:\(port)", "127.evil.example:\(port)", "127.0.0.1.nip.io:\(port)", "localhost.evil.example:\(port)",
                       "localhost:\(port + 1)", "127.0.0.1", "127.0.0.1:\(port)@evil.example", "[::2]:\(port)", "0x7f.1:\(port)"]
        for host in foreign {
            for path in Self.routes {
                let reply = try await server.raw(path, host: host)
                #expect(reply.status == 403, "\(host) \(path): \(reply)")
                #expect(reply.text.contains("--allow-host"), "\(host) \(path): \(reply)")
                #expect(!reply.text.contains("Dygraph") && !reply.text.contains("\"runs\""), "\(host) \(path) leaked: \(reply)")
                if path.hasPrefix("/api/") {
                    #expect(reply.header("content-type")?.hasPrefix("application/json") == true, "\(host) \(path)")
                }
            }
        }
        let post = try await server.raw("POST", "/api/runs/a/tags", host: "evil.example:\(port)",
                                        headers: [("Origin", "http://evil.example:\(port)"), ("Content-Type", "application/json")],
                                        body: #"{"key":"evil","value":"1"}"#)
        #expect(post.status == 403, "\(post)")
        #expect(try store.run("a").tags.isEmpty)
    }

    @Test func itsOwnNamesAreServed() async throws {
        let dir = TempDir()
        let (server, _) = try await Self.server(dir)
        defer { Task { await server.stop() } }
        let port = server.port
        for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LocalHost:\(port)", "[::1]:\(port)", "localhost.:\(port)"] {
            for path in Self.routes.filter({ $0 != "/nothing" }) {
                let reply = try await server.raw(path, host: host)
                #expect(reply.status == 200, "\(host) \(path): \(reply)")
            }
        }
    }

    @Test func noHostOrTwoHostsAreRefused() async throws {
        let dir = TempDir()
        let (server, _) = try await Self.server(dir)
        defer { Task { await server.stop() } }
        for path in ["/", "/api/runs", "/static/dashboard.js"] {
            let none = try await server.raw(path, host: nil)
            #expect(none.status == 403 && none.text.contains("no Host header"), "\(path): \(none)")
            let two = try await server.raw(path, host: server.ownHost, headers: [("Host", "evil.example")])
            #expect(two.status == 403 && two.text.contains("2 Host headers"), "\(path): \(two)")
            let twoOrdered = try await server.raw(path, host: "evil.example", headers: [("Host", server.ownHost)])
            #expect(twoOrdered.status == 403, "\(path): \(twoOrdered)")
        }
    }

    @Test func allowHostAddsNamesWithAnyPortOrOne() async throws {
        let dir = TempDir()
        let (server, store) = try await Self.server(dir, allowedHosts: ["dash.example", "other.example:9999"])
        defer { Task { await server.stop() } }
        for host in ["dash.example", "dash.example:443", "DASH.example:\(server.port)", "other.example:9999"] {
            #expect(try await server.raw("/api/runs", host: host).status == 200, "\(host)")
        }
        for host in ["other.example", "other.example:\(server.port)", "sub.dash.example", "dash.example.evil"] {
            #expect(try await server.raw("/api/runs", host: host).status == 403, "\(host)")
        }
        // Behind a TLS proxy: Host and Origin name the proxy's address.
        let post = try await server.raw("POST", "/api/runs/a/tags", host: "dash.example",
                                        headers: [("Origin", "https://dash.example"), ("Content-Type", "application/json")],
                                        body: #"{"key":"via","value":"proxy"}"#)
        #expect(post.status == 200, "\(post)")
        #expect(try store.run("a").tags == ["via": "proxy"])
        #expect(throws: DashboardError.self) {
            try DashboardServer(.init(storePath: store.path, allowedHosts: ["http://dash.example/"]))
        }
    }

    @Test func aPostMustComeFromAnAllowedOriginWhateverItsHost() async throws {
        let dir = TempDir()
        let (server, store) = try await Self.server(dir)
        defer { Task { await server.stop() } }
        let body = #"{"key":"evil","value":"1"}"#
        let origins: [(String?, String)] = [
            ("null", "comes from null"), ("http://evil.example", "comes from http://evil.example"),
            ("http://evil.example:\(server.port)", "not from a page"), ("http://127.0.0.1:\(server.port).evil.example", "not from a page"),
            ("http://127.0.0.1:\(server.port + 1)", "not from a page"), ("file://", "not from a page"), (nil, "same-origin check"),
        ]
        for (origin, message) in origins {
            let headers = [("Content-Type", "application/json")] + (origin.map { [("Origin", $0)] } ?? [])
            let reply = try await server.raw("POST", "/api/runs/a/tags", host: server.ownHost, headers: headers, body: body)
            #expect(reply.status == 403 && reply.error.contains(message), "\(origin ?? "no Origin"): \(reply)")
        }
        #expect(try store.run("a").tags.isEmpty)
        // A page served as localhost posting to 127.0.0.1: both are this server's names.
        let own = try await server.raw("POST", "/api/runs/a/tags", host: server.ownHost,
                                       headers: [("Origin", "http://localhost:\(server.port)"), ("Content-Type", "application/json")],
                                       body: #"{"key":"stage","value":"ok"}"#)
        #expect(own.status == 200, "\(own)")
        #expect(try store.run("a").tags == ["stage": "ok"])
    }

    @Test func methodsOtherThanGetHeadAndPostAnswer405() async throws {
        let dir = TempDir()
        let (server, store) = try await Self.server(dir)
        defer { Task { await server.stop() } }
        for method in ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"] {
            for path in ["/", "/api/runs/a", "/api/runs/a/tags", "/static/dashboard.js"] {
                let reply = try await server.raw(method, path, host: server.ownHost,
                                                 headers: [("Origin", server.base), ("Content-Type", "application/json")],
                                                 body: #"{"key":"evil","value":"1"}"#)
                #expect(reply.status == 405, "\(method) \(path): \(reply)")
                #expect(reply.header("allow") == "GET, HEAD, POST", "\(method) \(path)")
            }
        }
        #expect(try store.runs().count == 1)
        #expect(try store.run("a").tags.isEmpty)
    }

    @Test func pathsOutOfStaticAreNotFoundHoweverSpelled() async throws {
        let dir = TempDir()
        let (server, _) = try await Self.server(dir)
        defer { Task { await server.stop() } }
        // Deep enough to reach / from any folder a naive file server might start in.
        let up = { (step: String) in String(repeating: step, count: 10) }
        let paths = ["/static/" + up("../") + "etc/passwd", "/static/" + up("%2e%2e/") + "etc/passwd", "/static/" + up("..%2f") + "etc%2fpasswd",
                     "/static/" + up("%2e%2e%2f") + "etc%2fpasswd", "/static/" + up("....//") + "etc/passwd", "/" + up("../") + "etc/passwd",
                     "/static/" + up("..%5c") + "etc%5cpasswd", "/static/" + up("%252e%252e%252f") + "etc/passwd",
                     "/static/dashboard.js/" + up("../") + "etc/passwd", "/static/%2fetc%2fpasswd",
                     "/static/", "/static/.", "/static/..", "/static/%2e%2e", "/static//etc/passwd"]
        for path in paths {
            let reply = try await server.raw(path, host: server.ownHost)
            #expect(reply.status == 404 || reply.status == 400, "\(path): \(reply)")
            #expect(!reply.text.contains("root:"), "\(path) served a file: \(reply)")
        }
        #expect(try await server.raw("/static/dashboard.js", host: server.ownHost).status == 200)
    }

    @Test func aTokenInTheAddressOnlyLogsAPageInAndIsDropped() async throws {
        let dir = TempDir()
        let token = "s3cret-token-0123456789"
        let (server, _) = try await Self.server(dir, token: token, host: "0.0.0.0")
        defer { Task { await server.stop() } }
        let own = server.ownHost
        let login = try await server.raw("/runs/a?from=10&token=\(token)&to=20", host: own)
        #expect(login.status == 302)
        #expect(login.header("location") == "/runs/a?from=10&to=20")
        #expect(login.header("set-cookie")?.hasPrefix("blocklab_token=\(token); Path=/; HttpOnly; SameSite=Strict") == true)
        #expect(try await server.raw("/?token=\(token)", host: own).header("location") == "/")
        // A path that would leave the server (`//host/`) stays on it.
        #expect(try await server.raw("//evil.example/?token=\(token)", host: own).header("location") == "/evil.example/")
        #expect(try await server.raw("/\\evil.example/?token=\(token)", host: own).header("location") == "/evil.example/")

        for path in ["/api/runs?token=\(token)", "/api/sql?q=SELECT%201&token=\(token)", "/api/runs?token=wrong"] {
            let reply = try await server.raw(path, host: own)
            #expect(reply.status == 400 && reply.error.contains("Authorization: Bearer"), "\(path): \(reply)")
        }
        let post = try await server.raw("POST", "/api/runs/a/note?token=\(token)", host: own,
                                        headers: [("Origin", server.base), ("Content-Type", "application/json")], body: #"{"note":"x"}"#)
        #expect(post.status == 400, "\(post)")
        #expect(try await server.raw("/api/runs", host: own, headers: [("Authorization", "Bearer \(token)")]).status == 200)
        #expect(try await server.raw("/api/runs", host: own, headers: [("Cookie", "blocklab_token=\(token)")]).status == 200)
        #expect(try await server.raw("/?token=wrong-token-0123456789", host: own).status == 401)
        // The token does not open the server to another name.
        let foreign = try await server.raw("/api/runs", host: "evil.example:\(server.port)", headers: [("Authorization", "Bearer \(token)")])
        #expect(foreign.status == 403, "\(foreign)")
    }

    /// Bound to every address, the machine's own names and addresses are its names too.
    @Test func onEveryAddressTheMachinesNamesAreAllowed() async throws {
        let dir = TempDir()
        let token = "s3cret-token-0123456789"
        let (server, _) = try await Self.server(dir, token: token, host: "0.0.0.0")
        defer { Task { await server.stop() } }
        let bearer = [("Authorization", "Bearer \(token)")]
        var names = [HardwareMonitor.hostName, "0.0.0.0"]
        names += Self.interfaceAddresses().map { $0.contains(":") ? "[\($0)]" : $0 }
        for name in names {
            let reply = try await server.raw("/api/runs", host: "\(name):\(server.port)", headers: bearer)
            #expect(reply.status == 200, "\(name): \(reply)")
        }
        #expect(try await server.raw("/api/runs", host: "\(HardwareMonitor.hostName):\(server.port)").status == 401)
        #expect(try await server.raw("/api/runs", host: "evil.example:\(server.port)", headers: bearer).status == 403)
    }

    /// The IPv4 addresses of this machine's interfaces, read with `ip`-free getifaddrs.
    static func interfaceAddresses() -> [String] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var found = [String](), next = first
        while let entry = next {
            next = entry.pointee.ifa_next
            guard let address = entry.pointee.ifa_addr, Int32(address.pointee.sa_family) == AF_INET else { continue }
            var v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            if inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil {
                found.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return found
    }
}
