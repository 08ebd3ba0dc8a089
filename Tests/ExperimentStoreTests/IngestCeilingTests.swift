import Foundation
import TestSupport
import Testing
@testable import ExperimentStore

@Suite struct IngestCeilingTests {
    /// The ceiling writes exactly the rows the run API would: one per key and step, with
    /// 1 / (1 + step) + key index, readable through the store's own queries.
    @Test func writesEveryRowIntoARealStore() throws {
        let dir = TempDir()
        let ceiling = try ExperimentStore.IngestCeiling(path: dir.file("ceiling.db"), keys: ["loss", "lr", "grad_norm"])
        try ceiling.insert(steps: 500)
        let store = try ExperimentStore.open(at: dir.file("ceiling.db"), mode: .readOnly)
        for (k, key) in ["loss", "lr", "grad_norm"].enumerated() {
            let history = try store.metricHistory(runID: ceiling.runID, key: key)
            #expect(history.map(\.step) == Array(0..<500))
            let expected: [Double?] = (0..<500).map { step in 1.0 / Double(1 + step) + Double(k) }
            #expect(history.map(\.value) == expected)
        }
    }

    /// Key ids are assigned from 1, so a store that already has keys is refused, not corrupted.
    @Test func refusesAStoreThatHasKeys() throws {
        let dir = TempDir()
        let first = try ExperimentStore.IngestCeiling(path: dir.file("c.db"), keys: ["a"])
        try first.insert(steps: 3)
        #expect(throws: StoreError.self) { try ExperimentStore.IngestCeiling(path: dir.file("c.db"), keys: ["a"]) }
    }
}
