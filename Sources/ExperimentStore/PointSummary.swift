/// The first, last, lowest and highest point of a set of metric points, and how many there
/// are: one row of `metric_blocks` (a block of 32 or 256 steps, see
/// `Schema/002_metric_blocks.sql`) or one bucket of an M4 downsample. Built from points in any order and merged with other
/// summaries, by one rule: ties of the extremes keep the smallest step; a NaN value counts
/// and can be first or last, never the min or max.
struct PointSummary: Equatable {
    /// A point as stored: NaN stands for NULL in `value` and `epoch`.
    struct Point: Equatable {
        var step: Int64
        var value: Double
        var epoch: Double
        var time: Double
    }

    /// The block sizes of `metric_blocks`, as shifts, largest first: a block at shift s
    /// holds the steps b << s ... (b + 1) << s − 1, for b = step >> s.
    static let blockShifts: [Int64] = [8, 5]
    static func steps(ofBlock block: Int64, shift: Int64) -> ClosedRange<Int64> {
        (block << shift)...((block + 1) << shift - 1)
    }

    private(set) var count: Int
    private(set) var first: Point
    private(set) var last: Point
    private(set) var min: Point?
    private(set) var max: Point?

    init(_ point: Point) {
        count = 1
        first = point
        last = point
        min = point.value.isNaN ? nil : point
        max = min
    }

    init(count: Int, first: Point, last: Point, min: Point?, max: Point?) {
        self.count = count
        self.first = first
        self.last = last
        self.min = min
        self.max = max
    }

    mutating func add(_ point: Point) {
        merge(PointSummary(point))
    }

    mutating func merge(_ other: PointSummary) {
        count += other.count
        if other.first.step < first.step { first = other.first }
        if other.last.step >= last.step { last = other.last }
        if let low = other.min, Self.isLower(low, than: min) { min = low }
        if let high = other.max, Self.isHigher(high, than: max) { max = high }
    }

    /// Merges the summary of points that all come after this one's (a later block), reading
    /// the other's extremes only when they win: the hot path of downsampling, where most
    /// blocks change nothing but the count and the last point.
    mutating func mergeFollowing(count: Int, last: Point, minValue: Double?, min readMin: () -> Point?,
                                 maxValue: Double?, max readMax: () -> Point?) {
        precondition(last.step > self.last.step, "the merged points come after these")
        self.count += count
        self.last = last
        // Strictly lower or higher only: on a tie the earlier step, already kept, wins.
        if let minValue, min == nil || minValue < min!.value, let point = readMin() { min = point }
        if let maxValue, max == nil || maxValue > max!.value, let point = readMax() { max = point }
    }

    private static func isLower(_ point: Point, than current: Point?) -> Bool {
        guard let current else { return true }
        return point.value < current.value || (point.value == current.value && point.step < current.step)
    }

    private static func isHigher(_ point: Point, than current: Point?) -> Bool {
        guard let current else { return true }
        return point.value > current.value || (point.value == current.value && point.step < current.step)
    }

    /// The distinct points it keeps (first, last, min, max), in step order.
    var keptPoints: [Point] {
        var points = [first]
        for point in [min, max, last].compactMap({ $0 }) where !points.contains(where: { $0.step == point.step }) {
            points.append(point)
        }
        return points.sorted { $0.step < $1.step }
    }
}
