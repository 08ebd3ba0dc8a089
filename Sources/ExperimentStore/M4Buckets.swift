/// M4 downsampling of one key's points `lo...hi` into at most `buckets` step intervals, each
/// keeping its first, last, lowest and highest point (see `ExperimentStore.metricSeries` for
/// the layouts). Fed points, or whole blocks' summaries when the intervals are made of whole
/// blocks (`blockShift` is then their size and `wholeBlocks` the blocks entirely in `lo...hi`).
struct M4Buckets {
    private let lo: Int64
    private let buckets: Int64
    private let span: Int64
    /// Blocked layout: intervals of `width` steps from `base`; nil: `buckets` equal intervals.
    private let base: Int64?
    private let width: Int64
    /// The block size (as a shift) the intervals are made of; nil: equal intervals of points.
    let blockShift: Int64?
    private var summaries: [PointSummary?]

    /// Blocks entirely inside `lo...hi`, when the layout is blocked and there are any.
    let wholeBlocks: ClosedRange<Int64>?

    /// `blockShifts`: the stored block sizes, largest first. The largest that still leaves
    /// at least 9/10 of `buckets` intervals is used; none fits when the range is short.
    init(lo: Int64, hi: Int64, buckets: Int64, blockShifts: [Int64]) {
        precondition(lo <= hi && buckets >= 1)
        self.lo = lo
        self.buckets = buckets
        let span = hi - lo + 1
        self.span = span
        let shift = blockShifts.first { span >> $0 >= (9 * buckets + 9) / 10 && span > 4 * buckets }
        blockShift = shift
        if let shift {
            let blockSteps: Int64 = 1 << shift
            let base = (lo >> shift) << shift
            let spanFromBase = hi - base + 1
            self.base = base
            width = blockSteps * max(1, spanFromBase / (blockSteps * buckets) + (spanFromBase % (blockSteps * buckets) == 0 ? 0 : 1))
            summaries = Array(repeating: nil, count: Int((spanFromBase + width - 1) / width))
            let firstWhole = (lo + blockSteps - 1) >> shift   // the first block starting at or after lo
            let lastWhole = ((hi + 1) >> shift) - 1           // the last block ending at or before hi
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
        // ⌊(s − lo) · buckets / span⌋ without overflow: span < 256 · buckets here.
        return Int((step - lo) * buckets / span)
    }

    mutating func add(_ point: PointSummary.Point) {
        let index = bucket(of: point.step)
        if summaries[index] == nil { summaries[index] = PointSummary(point) } else { summaries[index]!.add(point) }
    }

    /// A whole block: its steps all fall in one interval of the blocked layout. Blocks come
    /// in block order, after any point before them and before any point after them.
    mutating func add(_ row: PointReader.BlockRow) {
        guard let blockShift else { preconditionFailure("blocks feed only the blocked layout") }
        let index = bucket(of: row.block << blockShift)
        if summaries[index] == nil {
            summaries[index] = row.summary
        } else {
            summaries[index]!.mergeFollowing(count: row.count, last: row.last, minValue: row.minValue, min: { row.min },
                                             maxValue: row.maxValue, max: { row.max })
        }
    }

    /// The points kept, in step order, each once.
    func keptPoints() -> [PointSummary.Point] {
        summaries.flatMap { $0?.keptPoints ?? [] }
    }
}
