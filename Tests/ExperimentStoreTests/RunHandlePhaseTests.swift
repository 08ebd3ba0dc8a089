import Foundation
import TestSupport
import Testing
@testable import ExperimentStore

/// `run.phase(name) { ... }`: one call records a phase's start, stats, artifacts, end and error.
@Suite struct RunHandlePhaseTests {
    struct Counts: Encodable { let commits: Int; let seconds: Double }
    struct Broken: Error, CustomStringConvertible { var description: String { "the repository is unreadable" } }

    @Test func aPhaseRecordsItsStatsArtifactsAndEnd() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "phase"))
        try Data("one\ntwo\n".utf8).write(to: URL(fileURLWithPath: dir.file("commits.jsonl")))
        let value = try run.phase("scrape") { phase -> Int in
            try phase.record(stats: Counts(commits: 2, seconds: 0.5))
            phase.set("input_sha256", .string("abc"))
            try phase.artifact(path: dir.file("commits.jsonl"), kind: "dataset")
            phase.note = "1 commit with unreadable objects"
            return 2
        }
        #expect(value == 2)
        let phases = try store.phases(runID: run.id)
        #expect(phases.count == 1 && phases[0].status == .finished && phases[0].endedAt != nil)
        #expect(phases[0].stats == .object(["commits": .int(2), "seconds": .double(0.5), "input_sha256": .string("abc")]))
        #expect(phases[0].error == "1 commit with unreadable objects")
        let artifact = try #require(try store.artifacts(runID: run.id).first)
        #expect(artifact.name == "commits.jsonl" && artifact.sha256 == ExperimentStore.sha256(of: Data("one\ntwo\n".utf8)) && artifact.bytes == 8)
        #expect(try store.finishedPhases(named: "scrape", inputSHA256: "abc").map(\.runID) == [run.id])
        #expect(try store.finishedPhases(named: "scrape", inputSHA256: "abd").isEmpty)
    }

    @Test func aThrowingBodyFailsThePhaseWithTheErrorAndKeepsItsStats() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "phase"))
        #expect(throws: Broken.self) {
            try run.phase("analyse") { phase in
                phase.set("commits_seen", .int(3))
                throw Broken()
            }
        }
        let phase = try #require(try store.phases(runID: run.id).first)
        #expect(phase.status == .failed && phase.error == "the repository is unreadable")
        #expect(phase.stats == .object(["commits_seen": .int(3)]))
        #expect(try store.finishedPhases(named: "analyse", inputSHA256: "x").isEmpty)
    }

    /// A run ended from outside (a signal) closes its running phase; the phase's own end,
    /// arriving later, does not replace that.
    @Test func aPhaseEndsOnce() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "phase"))
        try run.startPhase("train")
        try run.finish(status: .killed, error: "stopped by SIGINT")
        try run.finishPhase("train", status: .failed, error: "a later failure")
        let phase = try #require(try store.phases(runID: run.id).first)
        #expect(phase.status == .failed && phase.error == "stopped by SIGINT")
    }
}
