import Foundation
import HardwareMonitor
import Torch

/// The collectives of a training run, as the loop uses them: the step (gradients summed over
/// ranks), sums (evaluation, losses), the start (rank 0's weights everywhere) and each
/// step's exchange of hardware news. With one process there is no group and every call is
/// local: the step is `AdamW.step`, one C call, as it always was.
///
/// Gradients: each rank divides its share of a micro-batch's loss by the real-token count of
/// the whole micro-batch over all ranks (every rank knows the whole global batch), so the
/// ranks' gradients *sum* to the gradient of the global batch's mean loss: the average over
/// ranks, weighted by real tokens, which is what one process with the global batch computes.
final class DataParallel {
    let world: World
    /// nil for one process.
    let group: ProcessGroup?
    let bucketBytes: Int
    let timeoutSeconds: Double

    private init(world: World, group: ProcessGroup?, settings: TrainingConfig.Training.Distributed) {
        self.world = world
        self.group = group
        bucketBytes = Int(settings.bucketSizeMb * 1_048_576)
        timeoutSeconds = settings.timeoutSeconds
    }

    /// One process: nothing to join.
    static func alone(_ settings: TrainingConfig.Training.Distributed = .init()) -> DataParallel {
        DataParallel(world: .single, group: nil, settings: settings)
    }

    /// Joins `world`'s process group (every rank must); throws a `TrainingError.distributed`
    /// that names the address, the port and what to change.
    static func join(_ world: World, settings: TrainingConfig.Training.Distributed) throws -> DataParallel {
        guard world.size > 1 else { return DataParallel(world: world, group: nil, settings: settings) }
        let master = "\(world.masterAddress):\(world.masterPort)"
        do {
            let group = try ProcessGroup(masterAddress: world.masterAddress, masterPort: world.masterPort, rank: world.rank,
                                         worldSize: world.size, timeout: settings.timeoutSeconds,
                                         storeIsServed: world.launcherStorePrefix != nil, keyPrefix: world.launcherStorePrefix ?? "")
            return DataParallel(world: world, group: group, settings: settings)
        } catch {
            switch error.kind {
            case .addressInUse:
                throw TrainingError.distributed("port \(world.masterPort) is taken on this machine, so rank 0 cannot serve the process group there: pick a free port with --master-port (or MASTER_PORT) on every node")
            case .unreachable:
                throw TrainingError.distributed("could not join the process group: \(Self.plain(error.message)). Check --master-addr and --master-port (MASTER_ADDR, MASTER_PORT), that rank 0 is running, and that every node starts its ranks within training.distributed.timeout_seconds (\(Self.seconds(settings.timeoutSeconds)))")
            default:
                throw TrainingError.distributed("could not join the process group at \(master): \(Self.plain(error.message))")
            }
        }
    }

    // MARK: The start

    /// Every rank's offer, in rank order (one process: just its own).
    func gather(_ offer: RankOffer) throws -> [RankOffer] {
        guard let group else { return [offer] }
        let bytes = try group.gather(Array(try JSONEncoder().encode(offer)))
        return try bytes.map { try JSONDecoder().decode(RankOffer.self, from: Data($0)) }
    }

    /// Rank 0's parameters (and, when resuming, its AdamW state) on every rank.
    func start(model: GPTModel, optimizer: AdamW, resuming: Bool) throws {
        guard let group else { return }
        try group.broadcast(parameters: model, from: 0)
        if resuming { try group.broadcast(optimizer: optimizer, from: 0) }
    }

    // MARK: Each step

    /// Forward, backward, the gradients summed over ranks, clipping and AdamW. `denominators`:
    /// the real-target count of each whole micro-batch (over all ranks). The loss is the
    /// global batch's. A non-finite loss or norm leaves the parameters unchanged.
    func step(model: GPTModel, optimizer: AdamW, batch: Batch, denominators: [Double], microBatches: Int, batchSize: Int,
              time: Int, learningRate: Double, maxGradNorm: Double) throws -> StepResult {
        guard let group else {
            return try optimizer.step(tokens: batch.tokens, targets: batch.targets, microBatches: microBatches, batch: batchSize,
                                      time: time, learningRate: learningRate, maxGradNorm: maxGradNorm)
        }
        let part = try model.backward(tokens: batch.tokens, targets: batch.targets, microBatches: microBatches, batch: batchSize,
                                      time: time, denominators: denominators)
        try group.sumGradients(of: model, bucketBytes: bucketBytes)
        let loss = try group.sum([part])[0]
        let norm = try optimizer.apply(loss: loss, learningRate: learningRate, maxGradNorm: maxGradNorm)
        return StepResult(loss: loss, gradNorm: norm)
    }

    /// Element-wise sums over ranks.
    func sum(_ values: [Double]) throws -> [Double] {
        guard let group else { return values }
        return try group.sum(values)
    }

    /// What every rank learns after each step: each rank's memory use in percent (nil where
    /// unknown), and the hardware samples the other ranks took since the last exchange (for
    /// rank 0 to record). One small sum per step; the samples travel only when there are some.
    func exchange(memoryPercent: Double?, samples: [HardwareSample]) throws -> (memory: [Double?], samples: [HardwareSample]) {
        guard let group else { return ([memoryPercent], []) }
        let N = world.size
        var news = [Double](repeating: 0, count: 2 * N)
        news[world.rank] = memoryPercent ?? -1
        news[N + world.rank] = samples.isEmpty ? 0 : 1
        news = try group.sum(news)
        let memory = news[0..<N].map { $0 < 0 ? nil : $0 }
        guard news[N...].contains(where: { $0 > 0 }) else { return (memory, []) }
        let sent = try group.gather(samples.isEmpty ? [] : Array(try JSONEncoder().encode(samples)))
        let received = try sent.enumerated().filter { $0.offset != world.rank && !$0.element.isEmpty }.flatMap {
            try JSONDecoder().decode([HardwareSample].self, from: Data($0.element))
        }
        return (memory, received)
    }

    // MARK: Failure

    /// A failed collective, said plainly: which rank was lost (from the heartbeats), at which
    /// step, and what to do. Other errors pass through.
    func explain(_ error: Error, step: Int) -> Error {
        guard let group, let torch = error as? TorchError, torch.kind == .peerLost else { return error }
        let cause = Self.plain(torch.message)
        let resume = "The store and the last complete checkpoint are intact: continue with --resume"
        let window = min(3, max(0.5, timeoutSeconds / 4))
        let lost: [Int]
        do { lost = try group.lostRanks(window: window) } catch {
            return TrainingError.distributed("rank 0 (which serves the process group and owns the run) was lost at step \(step + 1): rank \(world.rank) stops too (\(cause))")
        }
        guard !lost.isEmpty else {
            return TrainingError.distributed("a collective failed at step \(step + 1) while every rank's heartbeat went on: \(cause). A rank may have stopped answering for longer than training.distributed.timeout_seconds (\(Self.seconds(timeoutSeconds))). \(resume)")
        }
        let names = lost.map { "rank \($0)" }.joined(separator: ", ")
        return TrainingError.distributed("lost \(names) at step \(step + 1): its process ended or stopped answering (\(cause)). \(resume)")
    }

    /// libtorch's message without the C API's call prefix and source locations.
    static func plain(_ message: String) -> String {
        var text = message
        if let colon = text.range(of: "ct_dist_"), let end = text[colon.upperBound...].range(of: ": ") { text = String(text[end.upperBound...]) }
        text = text.replacingOccurrences(of: #"\[[^\]]*\.(cc|cpp|h):\d+\] "#, with: "", options: .regularExpression)
        return text
    }

    static func seconds(_ value: Double) -> String { value == value.rounded() ? "\(Int(value)) s" : "\(value) s" }
}
