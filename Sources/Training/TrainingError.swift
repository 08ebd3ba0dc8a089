/// Errors a user can cause in training: each names the thing that is wrong and the fix.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case badDataset(String)
    case badConfig(String)
    case badCheckpoint(String)
    case nonFiniteLoss(step: Int, loss: Double, gradNorm: Double)
    case memoryLimit(String)
    /// Data-parallel ranks that cannot meet, disagree, or lost one of them.
    case distributed(String)

    public var description: String {
        switch self {
        case .badDataset(let m), .badConfig(let m), .badCheckpoint(let m), .memoryLimit(let m), .distributed(let m): return m
        case .nonFiniteLoss(let step, let loss, let norm):
            func show(_ v: Double) -> String { v.isNaN ? "nan" : v.isInfinite ? (v > 0 ? "inf" : "-inf") : "\(v)" }
            return "the loss became \(show(loss)) (gradient norm \(show(norm))) at step \(step): the run stopped; the last good checkpoint is kept. Lower training.base_learning_rate or training.max_grad_norm"
        }
    }
}
