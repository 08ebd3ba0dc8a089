import ExperimentStore
import Foundation
import Hummingbird

/// `blocklab ui`: the live dashboard and its JSON API over one store, on Hummingbird.
///
///     let server = try DashboardServer(.init(storePath: "blocklab.db"))
///     try await server.run { port in print("http://127.0.0.1:\(port)") }
///
/// Safe to leave running: it binds 127.0.0.1 unless told otherwise, and any other address
/// needs a token checked on every request; it only reads the store, except tags and notes,
/// which take a same-origin POST; it serves no file from disk but the chart library's two.
public struct DashboardServer: Sendable {
    public struct Configuration: Sendable {
        public var storePath: String
        public var host: String
        /// 0 asks the system for a free port (`run` reports the one bound).
        public var port: Int
        /// Required when `host` is not a loopback address.
        public var token: String?
        /// dygraphs' folder (default: Debian's, or `BLOCKLAB_DYGRAPHS_DIR`).
        public var chartLibraryDirectory: String?

        public init(storePath: String, host: String = "127.0.0.1", port: Int = 8080, token: String? = nil,
                    chartLibraryDirectory: String? = nil) {
            self.storePath = storePath
            self.host = host
            self.port = port
            self.token = token
            self.chartLibraryDirectory = chartLibraryDirectory
        }
    }

    public let configuration: Configuration
    let store: StoreAccess
    let chartLibrary: ChartLibrary

    /// Checks everything that would make the server useless or unsafe before it binds: the
    /// store opens, the chart library is installed, a non-loopback address has a token.
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
        self.configuration = configuration
        _ = try ExperimentStore.open(at: configuration.storePath, mode: .readOnly)  // exists, and is a store
        self.store = StoreAccess(path: configuration.storePath)
        self.chartLibrary = try ChartLibrary.load(directory: configuration.chartLibraryDirectory)
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Serves until the task is cancelled (or, with `handleSignals`, until SIGINT/SIGTERM);
    /// `onReady` receives the bound port once the server accepts connections.
    public func run(handleSignals: Bool = false, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "BlockLab"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) })
        if handleSignals { try await app.runService() } else { try await app.run() }
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessGuard(token: configuration.token))
        addPageRoutes(to: router)
        addAPIRoutes(to: router)
        return router
    }
}
