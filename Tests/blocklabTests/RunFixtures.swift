import Foundation
import TestSupport
import Testing

/// Runs in each state a store can hold, made the way users make them.
enum RunFixtures {
    /// `blocklab ingest` started and reading stdin: its run is `running` while it lives.
    /// Returns once the run exists (ingest has reported the unusable first line).
    static func live(store: String, name: String) throws -> (Process, OutputCollector, FileHandle) {
        let process = CLI.start(["ingest", "--store", store, "--name", name])
        try process.run()
        let collector = OutputCollector(process)
        let input = try #require(process.standardInput as? Pipe).fileHandleForWriting
        input.write(Data("sync\n".utf8))
        #expect(collector.waitFor { _, err in err.contains("line 1") }, "ingest started")
        return (process, collector, input)
    }

    /// A run whose process died without finishing it (SIGKILL): recorded `running`, read as `crashed`.
    static func crashed(store: String, name: String) throws {
        let (process, collector, _) = try live(store: store, name: name)
        kill(process.processIdentifier, SIGKILL)
        try collector.finish()
    }

    /// Ends a live run by closing its input: the run is `finished`.
    static func finish(_ live: (Process, OutputCollector, FileHandle)) throws {
        try live.2.close()
        try live.1.finish()
        #expect(live.0.terminationStatus == 0)
    }
}
