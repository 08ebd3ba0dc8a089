import Dispatch

/// The `k` vectors with the highest dot product with `query` (the cosine similarity, for unit
/// vectors), by brute force over every vector, split over `threads` threads. Exact: no
/// index, no approximation. `vectors` is count × dimension float32, row-major.
public enum ExactSearch {
    public struct Hit: Sendable, Equatable {
        public var index: Int
        public var score: Float
    }

    public static func top(_ k: Int, query: [Float], vectors: [Float], dimension: Int, threads: Int) -> [Hit] {
        precondition(query.count == dimension && vectors.count % dimension == 0)
        let count = vectors.count / dimension
        guard k > 0, count > 0 else { return [] }
        let workers = max(1, min(threads, count))
        var partial = [[Hit]](repeating: [], count: workers)
        partial.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer  // each worker writes its own slot
            vectors.withUnsafeBufferPointer { rows in
                nonisolated(unsafe) let rows = rows
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var best: [Hit] = []
                    for row in stride(from: worker, to: count, by: workers) {
                        var score: Float = 0
                        let base = row * dimension
                        for d in 0..<dimension { score += rows[base + d] * query[d] }
                        if best.count < k || score > best[best.count - 1].score {
                            let position = best.firstIndex { score > $0.score || (score == $0.score && row < $0.index) } ?? best.count
                            best.insert(Hit(index: row, score: score), at: position)
                            if best.count > k { best.removeLast() }
                        }
                    }
                    out[worker] = best
                }
            }
        }
        return Array(partial.joined().sorted { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }.prefix(k))
    }
}
