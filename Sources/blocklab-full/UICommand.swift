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
            The dashboard only reads the store, except tags and notes (same-origin POST). Ctrl-C stops it.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port (0: any free port; the one bound is printed).") var port = 8080
    @Option(name: .customLong("token-env"), help: ArgumentHelp("The environment variable holding the access token.", valueName: "var"))
    var tokenEnvironment: String?

    func run() async throws {
        var token: String?
        if let name = tokenEnvironment {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw CLIError("--token-env \(name): the environment variable \(name) is not set or empty; export it with the secret first", status: .config)
            }
            token = value
        }
        let storePath = try storeOptions.path
        let server = try DashboardServer(.init(storePath: storePath, host: host, port: port, token: token))
        let host = self.host, store = storePath, hasToken = token != nil
        try await server.run(handleSignals: true) { port in
            let shown = host.contains(":") ? "[\(host)]" : host
            let line = "BlockLab dashboard on http://\(shown):\(port)/ (store \(store))"
                + (hasToken ? "; open http://\(shown):\(port)/?token=$\(tokenEnvironment ?? "") once to log in" : "")
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
