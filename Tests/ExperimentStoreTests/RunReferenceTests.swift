import Foundation
import TestSupport
import Testing
@testable import ExperimentStore

/// `ExperimentStore.run(_:)`, where every command and the dashboard turn RUN into a run: a
/// reference that names several runs is an error that lists them, never a guess.
@Suite struct RunReferenceTests {
    private func finishedRun(_ store: ExperimentStore, _ name: String, uuid: String? = nil) throws -> RunInfo {
        let handle = try store.startRun(RunSpec(name: name, uuid: uuid))
        try handle.finish()
        return try store.run(String(handle.id))
    }

    @Test func aNameOfSeveralRunsListsThemWithWhatTellsThemApart() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let first = try finishedRun(store, "demo"), second = try finishedRun(store, "demo")
        var thrown: (any Error)?
        do { _ = try store.run("demo") } catch { thrown = error }
        let error = try #require(thrown as? StoreError)
        #expect(error == .ambiguousRun(ref: "demo", matches: [StoreError.RunMatch(first), StoreError.RunMatch(second)]))
        let lines = error.description.split(separator: "\n").map(String.init)
        #expect(lines.first == "'demo' matches 2 runs:")
        for (line, run) in zip(lines.dropFirst(), [first, second]) {
            let started = Date(timeIntervalSince1970: run.startedAt.rounded(.down)).ISO8601Format()
            #expect(line == "  \(run.id)  demo  finished  \(started)  \(run.uuid.prefix(8))")
        }
        #expect(lines.last == "pick one by its id (`\(second.id)`) or by a longer uuid prefix (`\(second.uuid.prefix(8))`)")
        // Each is reached by its id or its uuid prefix.
        #expect(try store.run(String(first.id)) == first)
        #expect(try store.run(String(second.uuid.prefix(8))) == second)
    }

    /// A name and another run's uuid prefix are two matches; an id is never ambiguous, and
    /// `latest` is the newest run.
    @Test func idsAndLatestAreNeverAmbiguousAndNamesMeetUUIDPrefixes() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let hex = try finishedRun(store, "cafe", uuid: "11111111-0000-4000-8000-000000000001")
        let prefixed = try finishedRun(store, "other", uuid: "cafe0000-0000-4000-8000-000000000002")
        let named1 = try finishedRun(store, "1", uuid: "22222222-0000-4000-8000-000000000003")
        #expect(throws: StoreError.ambiguousRun(ref: "cafe", matches: [StoreError.RunMatch(hex), StoreError.RunMatch(prefixed)])) {
            try store.run("cafe")
        }
        #expect(try store.run("1") == hex, "run 1, not the run named 1")
        #expect(try store.run("2222") == named1)
        #expect(try store.run("latest") == named1)
        #expect(try store.run(" latest ") == named1)
    }

    /// Nothing to name: an empty store says so and how to make a run; a store with runs says
    /// that none matches.
    @Test func anEmptyStoreSaysItHasNoRunsYet() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        for ref in ["latest", "1", "demo", "abcd1234"] {
            #expect(throws: StoreError.noRuns(path: dir.file("s.db"))) { try store.run(ref) }
        }
        #expect(StoreError.noRuns(path: dir.file("s.db")).description.contains("has no runs yet: record one with `blocklab pipeline"))
        _ = try finishedRun(store, "demo")
        #expect(throws: StoreError.runNotFound(ref: "nope")) { try store.run("nope") }
        #expect(throws: StoreError.runNotFound(ref: "7")) { try store.run("7") }
    }
}
