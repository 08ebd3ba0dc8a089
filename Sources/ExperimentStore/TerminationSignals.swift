import Foundation
import Synchronization

/// SIGINT and SIGTERM: every registered run gets a final flush and the status `killed`,
/// then the process exits with 128 + the signal number (the shell's convention).
public enum TerminationSignals {
    private static let runs = Mutex([ObjectIdentifier: RunHandle]())
    private static let sources = Mutex([any DispatchSourceSignal]())
    /// Called before the runs are finished (e.g. to forward the signal to a child process).
    nonisolated(unsafe) public static var beforeExit: (@Sendable (Int32) -> Void)?

    static func register(_ run: RunHandle) {
        runs.withLock { $0[ObjectIdentifier(run)] = run }
        installOnce()
    }

    static func unregister(_ run: RunHandle) {
        _ = runs.withLock { $0.removeValue(forKey: ObjectIdentifier(run)) }
    }

    private static func installOnce() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { handle(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    private static func handle(_ signalNumber: Int32) {
        beforeExit?(signalNumber)
        let live = runs.withLock { Array($0.values) }
        let name = signalNumber == SIGINT ? "SIGINT" : "SIGTERM"
        for run in live {
            try? run.finish(status: .killed, error: "stopped by \(name)")
        }
        exit(128 + signalNumber)
    }
}
