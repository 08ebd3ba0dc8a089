import ArgumentParser
import StoreCommands
import Foundation
import Qdrant

/// `--api-key-env VAR` and the timeouts, shared by the commands that talk to Qdrant. The key
/// is read from the environment at the call and never printed, logged or stored.
struct QdrantOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The environment variable holding Qdrant's API key.", valueName: "var"))
    var apiKeyEnv: String?
    @Option(name: .long, help: "Seconds to wait for a connection.") var connectTimeout = 10.0
    @Option(name: .long, help: "Seconds one request may take in all.") var timeout = 120.0

    func validate() throws {
        guard connectTimeout > 0, timeout > 0 else { throw ValidationError("--connect-timeout and --timeout must be positive.") }
    }

    var timeouts: HTTPTimeouts { HTTPTimeouts(connect: connectTimeout, total: timeout) }

    func apiKey() throws -> String? {
        guard let apiKeyEnv else { return nil }
        guard let key = ProcessInfo.processInfo.environment[apiKeyEnv], !key.isEmpty else {
            throw CLIError("--api-key-env \(apiKeyEnv): that environment variable is unset or empty; export it with the Qdrant API key", status: .config)
        }
        return key
    }
}
