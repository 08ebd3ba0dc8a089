import Foundation
import TrainingPlan

/// Splits records into training and validation by record, never inside one.
public enum SplitMethod: String, Sendable, Codable, CaseIterable {
    /// A seeded shuffle picks the validation records.
    case random
    /// The newest commits (by author timestamp) are held out; file chunks all train.
    case chronological
}

public enum DatasetSplit {
    /// Indices of the training and the validation records, each in input order.
    /// `round(n × fraction)` records validate (n = commits only, for chronological), at least
    /// one and never all when there are two or more candidates and the fraction is above 0.
    public static func split(_ records: [DatasetRecord], method: SplitMethod, validationFraction: Double,
                             seed: UInt64) -> (train: [Int], validation: [Int]) {
        let held = validationSet(sources: records.map(\.source), method: method, validationFraction: validationFraction,
                                 seed: seed) { index in
            guard case .commit(let c) = records[index] else { return 0 }
            return parseDate(c.authorTimestamp)
        }
        return (records.indices.filter { !held[$0] }, records.indices.filter { held[$0] })
    }

    /// `split`'s choice as a flag per record (true: validation), from what the dataset
    /// builder keeps of each record while it streams: its source, and for chronological the
    /// author time of a commit (`time(index)`, seconds since 1970, asked of commits only).
    static func validationSet(sources: [DatasetRecord.Source], method: SplitMethod, validationFraction: Double,
                              seed: UInt64, time: (Int) -> Double) -> [Bool] {
        let candidates: [Int]
        switch method {
        case .random:
            candidates = Array(sources.indices)
        case .chronological:
            candidates = sources.indices.filter { sources[$0] == .commit }
        }
        var k = Int((Double(candidates.count) * validationFraction).rounded())
        if validationFraction > 0 && candidates.count >= 2 { k = min(max(k, 1), candidates.count - 1) }
        k = min(k, candidates.count)
        let held: ArraySlice<Int>
        switch method {
        case .random:
            var order = candidates
            var generator = SeededGenerator(seed: seed)
            if order.count > 1 {
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    let j = Int(generator.next() % UInt64(i + 1))
                    order.swapAt(i, j)
                }
            }
            held = order.prefix(k)
        case .chronological:
            let times = candidates.map { (time($0), $0) }
            held = times.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 > $1.1 }.prefix(k).map(\.1)[...]
        }
        var validation = [Bool](repeating: false, count: sources.count)
        for index in held { validation[index] = true }
        return validation
    }

    /// Seconds since 1970 of an ISO 8601 timestamp; unparsable ones sort as oldest.
    static func parseDate(_ text: String) -> Double {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)?.timeIntervalSince1970 ?? -.infinity
    }
}
