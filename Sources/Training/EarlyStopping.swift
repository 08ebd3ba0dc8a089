import Foundation

/// Early stopping: stop when the validation loss has not improved by more than `minDelta`
/// for `patience` evaluations in a row.
public struct EarlyStopping: Sendable, Equatable, Codable {
    public let patience: Int
    public let minDelta: Double
    public private(set) var best: Double = .infinity
    public private(set) var badEvaluations = 0

    public init(patience: Int, minDelta: Double, best: Double = .infinity, badEvaluations: Int = 0) {
        self.patience = patience
        self.minDelta = minDelta
        self.best = best
        self.badEvaluations = badEvaluations
    }

    /// Records one validation loss; returns whether it is a new best.
    @discardableResult
    public mutating func record(_ loss: Double) -> Bool {
        if loss < best - minDelta {
            best = loss
            badEvaluations = 0
            return true
        }
        badEvaluations += 1
        return false
    }

    public var shouldStop: Bool { badEvaluations >= patience }
}
