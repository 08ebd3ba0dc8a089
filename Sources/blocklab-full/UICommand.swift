import ArgumentParser
import StoreCommands
import Dashboard
import Foundation

struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Serve the live dashboard: runs, charts, compare, SQL (and its JSON API).",
        discussion: """
            Binds 127.0.0.1 by default. Any other address needs a token: put a secret of at least 16 characters in \
            an environment variable and name it with --token-env; open the printed address with ?token=SECRET once.

            Every request must address the dashboard by one of its names, or it is refused (403) before anything \
            else runs, token or not: localhost, 127.0.0.1, [::1] and the --host address, with the port; on an \
            address other than loopback also this machine's host name, and on 0.0.0.0 or :: the addresses of its \
            interfaces. A DNS name or a reverse proxy in front needs --allow-host NAME.

            The dashboard only reads the store, except tags and notes (a POST from a page of one of those names). \
            SQL from the SQL page stops after --sql-timeout seconds, at 10000 rows and at 32 MiB. Ctrl-C stops it.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port (0: any free port; the one bound is printed).") var port = 8080
    @Option(name: .customLong("token-env"), help: ArgumentHelp("The environment variable holding the access token.", valueName: "var"))
    var tokenEnvironment: String?
    @Option(name: .customLong("allow-host"), help: ArgumentHelp(
        "One more name requests may address the dashboard by (repeatable): NAME on any port, NAME:PORT on that one.",
        valueName: "name"))
    var allowedHosts: [String] = []
    @Option(name: .customLong("sql-timeout"), help: ArgumentHelp("Seconds one query of the SQL page may run.", valueName: "seconds"))
    var sqlTimeout = DashboardServer.defaultSQLTimeout

    func run() async throws {
        var token: String?
        if let name = tokenEnvironment {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw CLIError("--token-env \(name): the environment variable \(name) is not set or empty; export it with the secret first", status: .config)
            }
            token = value
        }
        let storePath = try storeOptions.path
        let server = try DashboardServer(.init(storePath: storePath, host: host, port: port, token: token,
                                               allowedHosts: allowedHosts, sqlTimeout: sqlTimeout))
        let host = self.host, store = storePath, hasToken = token != nil
        try await server.run(handleSignals: true) { port in
            let shown = host.contains(":") ? "[\(host)]" : host
            let line = "BlockLab dashboard on http://\(shown):\(port)/ (store \(store))"
                + (hasToken ? "; open http://\(shown):\(port)/?token=$\(tokenEnvironment ?? "") once to log in" : "")
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
