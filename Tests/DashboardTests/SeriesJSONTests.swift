import Dashboard
import ExperimentStore
import Foundation
import TestSupport
import Testing

/// The series JSON written by hand says what the store's JSONEncoder says.
@Suite struct SeriesJSONTests {
    private func parsed(_ data: Data) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    @Test func handWrittenSeriesEqualTheEncodersOnARealStore() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let a = try Fixtures.run(in: store, name: "alpha", dir: dir.path)
        let b = try Fixtures.run(in: store, name: "b \"quoted\"\n\u{1}", steps: 50, dir: dir.path)
        let run = try store.startRun(RunSpec(name: "odd"))
        for step in 0..<5_000 { run.log(step: step, epoch: step % 7 == 0 ? .nan : Double(step) / 3, ["odd/ké\u{7}": step % 11 == 0 ? .nan : 1e-9 * Double(step)]) }
        try run.finish()

        for (ref, buckets) in [(String(a.id), 1000), (String(b.id), 7), (String(run.id), 50), (String(run.id), 20_000)] {
            let response = try DashboardData.metrics(store, run: ref, keys: nil, from: nil, to: nil, buckets: buckets)
            #expect(!response.series.isEmpty)
            let reference = try ExperimentStore.jsonEncoder(pretty: false).encode(response)
            #expect(try parsed(DashboardData.encode(response)) == parsed(reference))
        }
        let comparison = try DashboardData.compare(store, runs: [String(a.id), String(b.id), String(run.id)], buckets: 40)
        let reference = try ExperimentStore.jsonEncoder(pretty: false).encode(comparison)
        #expect(try parsed(DashboardData.encode(comparison)) == parsed(reference))
    }
}
