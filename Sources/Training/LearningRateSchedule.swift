import Foundation

/// The learning rate at each optimizer step (steps count from 0):
///  1. warmup: rises linearly from peak / warmup to peak over `warmupSteps` steps;
///  2. decay: cosine or linear from peak to `minRatio` × peak at the last step (`totalSteps - 1`);
///  3. past the last step it stays at the floor.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: String, Sendable { case cosine, linear }
    public let peak: Double
    public let warmupSteps: Int
    public let totalSteps: Int
    public let decay: Decay
    public let minRatio: Double

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, decay: Decay, minRatio: Double) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.decay = decay
        self.minRatio = minRatio
    }

    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }   // 1
        let floor = peak * minRatio
        let span = totalSteps - 1 - warmupSteps
        guard span > 0 else { return peak }  // no step is left after warmup to decay over
        let progress = min(1, Double(step - warmupSteps) / Double(span))                  // 2
        switch decay {
        case .cosine: return floor + (peak - floor) * 0.5 * (1 + cos(Double.pi * progress))
        case .linear: return peak - (peak - floor) * progress
        }
    }
}
