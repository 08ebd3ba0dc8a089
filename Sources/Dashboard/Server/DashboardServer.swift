import ExperimentStore
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `blocklab ui`: the live dashboard and its JSON API over one store, on Hummingbird.
///
///     let server = try DashboardServer(.init(storePath: "blocklab.db"))
///     try await server.run { port in print("http://127.0.0.1:\(port)") }
///
/// Safe to leave running: it binds 127.0.0.1 unless told otherwise, and any other address
/// needs a token checked on every request; every request must address it by one of its own
/// names (`HostAllowList`: no DNS rebinding); it only reads the store, except tags and notes,
/// which take a POST from one of those names; SQL runs with a time limit, a row cap and a
/// byte cap, off the threads that serve requests; it serves no file from disk but the chart
/// library's two.
public struct DashboardServer: Sendable {
    public struct Configuration: Sendable {
        public var storePath: String
        public var host: String
        /// 0 asks the system for a free port (`run` reports the one bound).
        public var port: Int
        /// Required when `host` is not a loopback address.
        public var token: String?
        /// More names requests may address the server by (`--allow-host`): `NAME` on any
        /// port, `NAME:PORT` on that one.
        public var allowedHosts: [String]
        /// Seconds one SQL query may run (`/api/sql`).
        public var sqlTimeout: Double
        /// dygraphs' folder (default: Debian's, or `BLOCKLAB_DYGRAPHS_DIR`).
        public var chartLibraryDirectory: String?

        public init(storePath: String, host: String = "127.0.0.1", port: Int = 8080, token: String? = nil,
                    allowedHosts: [String] = [], sqlTimeout: Double = DashboardServer.defaultSQLTimeout,
                    chartLibraryDirectory: String? = nil) {
            self.storePath = storePath
            self.host = host
            self.port = port
            self.token = token
            self.allowedHosts = allowedHosts
            self.sqlTimeout = sqlTimeout
            self.chartLibraryDirectory = chartLibraryDirectory
        }
    }

    /// `/api/sql`'s default time limit, in seconds.
    public static let defaultSQLTimeout = 5.0
    /// `/api/sql`'s rows when `max_rows` is not given, and the most it may ask for.
    public static let sqlDefaultRows = 1_000
    public static let sqlMaxRows = 10_000
    /// `/api/sql`'s byte caps: the whole answer, and one value while the query runs.
    public static let sqlMaxResultBytes = 32 << 20
    public static let sqlMaxValueBytes = 16 << 20
    /// SQL queries running at once; one more is answered 503.
    public static let sqlConcurrency = 4

    public let configuration: Configuration
    let store: StoreAccess
    let chartLibrary: ChartLibrary
    let allowedHosts: [HostAndPort]
    let hosts = BoundHosts()
    let sqlGate: SQLGate

    /// Checks everything that would make the server useless or unsafe before it binds: the
    /// store opens, the chart library is installed, a non-loopback address has a token, the
    /// extra host names parse.
    public init(_ configuration: Configuration) throws {
        if !Self.isLoopback(configuration.host) && (configuration.token ?? "").isEmpty {
            throw DashboardError(status: 403, """
                refusing to listen on \(configuration.host) without a token: anyone who can reach that address could \
                read the store. Put a secret in an environment variable and name it with --token-env VAR \
                (e.g. `export BLOCKLAB_UI_TOKEN=$(head -c 24 /dev/urandom | base64)`), or keep the default --host 127.0.0.1
                """)
        }
        if let token = configuration.token, !token.isEmpty, token.count < 16 {
            throw DashboardError(status: 403, "the token is \(token.count) characters long: use at least 16 random characters")
        }
        guard (0...65535).contains(configuration.port) else {
            throw DashboardError(status: 400, "--port \(configuration.port) is not a TCP port: use 1-65535 (or 0 for any free port)")
        }
        guard configuration.sqlTimeout > 0, configuration.sqlTimeout.isFinite else {
            throw DashboardError(status: 400, "--sql-timeout \(configuration.sqlTimeout) is not a time limit: give seconds above 0 (default \(Int(Self.defaultSQLTimeout)))")
        }
        allowedHosts = try HostAllowList.parse(configuration.allowedHosts)
        self.configuration = configuration
        _ = try ExperimentStore.open(at: configuration.storePath, mode: .readOnly)  // exists, and is a store
        self.store = StoreAccess(path: configuration.storePath)
        self.chartLibrary = try ChartLibrary.load(directory: configuration.chartLibraryDirectory)
        sqlGate = SQLGate(capacity: Self.sqlConcurrency, timeout: configuration.sqlTimeout)
    }

    /// SQL queries running now, each on its own thread until it ends or its time limit stops it.
    public var sqlQueriesRunning: Int { sqlGate.running }

    /// True for `localhost` and the loopback addresses, decided from the parsed address
    /// (`Address.isLoopback`): 127.0.0.0/8, `::1`, `::ffff:127.0.0.1`; not `127.evil.example`.
    public static func isLoopback(_ host: String) -> Bool { Address.isLoopback(host) }

    /// Serves until the task is cancelled (or, with `handleSignals`, until SIGINT/SIGTERM);
    /// `onReady` receives the bound port once the server accepts connections. A port in use
    /// or an address not on this machine is a `DashboardError` naming it and the fix.
    ///
    /// Either way the stop is graceful: the server stops accepting, answers the requests it
    /// has, closes idle connections and returns, logging no error. (Cancelling Hummingbird's
    /// accept loop itself would log `Waiting on child channel: CancellationError()`.)
    public func run(handleSignals: Bool = false, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let hosts = self.hosts, host = configuration.host, allowed = allowedHosts
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "BlockLab"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                hosts.set(HostAllowList(host: host, port: port, allowedHosts: allowed))
                await onReady(port)
            })
        // Services stop in reverse order: the SQL gate first, so the server's own graceful stop
        // never waits for a query's time limit.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: SQLStopper(gate: sqlGate), successTerminationBehavior: .ignore)],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [], logger: app.logger))
        // Its own task, so that cancelling this one does not cancel the accept loop under it:
        // the cancellation becomes a graceful shutdown instead.
        let serving = Task { try await group.run() }
        do {
            try await withTaskCancellationHandler {
                try await serving.value
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        } catch let error as IOError {
            throw startError(error)
        } catch is SocketAddressError.UnknownHost {
            throw DashboardError(status: 503, "cannot listen on \(configuration.host): the name does not resolve to an address; use --host 127.0.0.1, or 0.0.0.0 for every interface")
        }
    }

    /// What a failed bind means for the person who typed `blocklab ui`.
    func startError(_ error: IOError) -> DashboardError {
        let address = "\(configuration.host):\(configuration.port)"
        switch error.errnoCode {
        case EADDRINUSE:
            return DashboardError(status: 503, "port \(configuration.port) on \(configuration.host) is in use (another `blocklab ui`?): pick another with --port N, or --port 0 for any free port")
        case EACCES:
            return DashboardError(status: 503, "cannot listen on \(address): ports below 1024 need root; use --port 8080 (or --port 0 for any free port)")
        case EADDRNOTAVAIL:
            return DashboardError(status: 503, "cannot listen on \(configuration.host): no interface of this machine has that address; use --host 127.0.0.1, or 0.0.0.0 for every interface")
        default:
            return DashboardError(status: 503, "cannot listen on \(address): \(String(cString: strerror(error.errnoCode)))")
        }
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessGuard(token: configuration.token, hosts: hosts))
        addPageRoutes(to: router)
        addAPIRoutes(to: router)
        return router
    }
}

/// Waits for the server's graceful stop, then stops the SQL queries still running.
struct SQLStopper: Service {
    let gate: SQLGate

    func run() async throws {
        try? await gracefulShutdown()
        gate.stopAll()
    }
}
