/// M4 downsampling of one key's points `lo...hi` into at most `buckets` step intervals, each
/// keeping its first, last, lowest and highest point (see `ExperimentStore.metricSeries` for
/// the two layouts). Fed points, or whole blocks' summaries when the intervals are made of
/// whole blocks (`wholeBlocks` is then the range of blocks that lie entirely in `lo...hi`).
struct M4Buckets {
    private let lo: Int64
    private let buckets: Int64
    private let span: Int64
    /// Blocked layout: intervals of `width` steps from `base`; nil: `buckets` equal intervals.
    private let base: Int64?
    private let width: Int64
    private let blockShift: Int64
    private var summaries: [PointSummary?]

    /// Blocks entirely inside `lo...hi`, when the layout is blocked and there are any.
    let wholeBlocks: ClosedRange<Int64>?

    init(lo: Int64, hi: Int64, buckets: Int64, blockShift: Int64) {
        precondition(lo <= hi && buckets >= 1)
        self.lo = lo
        self.buckets = buckets
        self.blockShift = blockShift
        span = hi - lo + 1
        let blockSteps: Int64 = 1 << blockShift
        if span > blockSteps * buckets {
            let base = (lo >> blockShift) << blockShift
            let spanFromBase = hi - base + 1
            self.base = base
            width = blockSteps * ((spanFromBase + blockSteps * buckets - 1) / (blockSteps * buckets))
            summaries = Array(repeating: nil, count: Int((spanFromBase + width - 1) / width))
            let firstWhole = (lo + blockSteps - 1) >> blockShift   // the first block starting at or after lo
            let lastWhole = ((hi + 1) >> blockShift) - 1           // the last block ending at or before hi
            wholeBlocks = firstWhole <= lastWhole ? firstWhole...lastWhole : nil
        } else {
            base = nil
            width = 0
            summaries = Array(repeating: nil, count: Int(buckets))
            wholeBlocks = nil
        }
    }

    private func bucket(of step: Int64) -> Int {
        if let base { return Int((step - base) / width) }
        // ⌊(s − lo) · buckets / span⌋ without overflow: span ≤ 32 · buckets here.
        return Int((step - lo) * buckets / span)
    }

    mutating func add(_ point: PointSummary.Point) {
        let index = bucket(of: point.step)
        if summaries[index] == nil { summaries[index] = PointSummary(point) } else { summaries[index]!.add(point) }
    }

    /// A whole block's summary: its steps all fall in one interval of the blocked layout.
    mutating func add(_ summary: PointSummary, ofBlock block: Int64) {
        precondition(base != nil, "blocks feed only the blocked layout")
        let index = bucket(of: block << blockShift)
        if summaries[index] == nil { summaries[index] = summary } else { summaries[index]!.merge(summary) }
    }

    /// The points kept, in step order, each once.
    func keptPoints() -> [PointSummary.Point] {
        summaries.flatMap { $0?.keptPoints ?? [] }
    }
}
