import Foundation
import Torch

/// How the ranks of a data-parallel run start (World): every rank joins the process group,
/// then all gather what each brings (RankOffer) and check it alike, so they start together
/// or all stop with the same message. Rank 0 (`Trainer.run`) owns the run and leads: its
/// config, plan and model sizes are the run's, and its weights are broadcast to the others.
/// The other ranks (`follow`) open no store, write no file, and send their hardware samples
/// to rank 0 through the group.
extension Trainer {
    /// A rank other than 0: trains in step with rank 0 and records nothing itself. Returns
    /// when the run finished; throws what stopped it (its own error, another rank's, a lost
    /// rank), in words rank 0 also records.
    public static func follow(_ options: TrainOptions) throws {
        let world = options.world
        precondition(!world.ownsTheRun, "rank 0 trains with Trainer.run: it owns the run")
        // Its own config (to compare with rank 0's), unless it resumes without one: only rank
        // 0 reads the checkpoint, so it then takes rank 0's. Its own dataset and threads.
        let ownConfig = options.configYAML == nil && options.resume != nil
            ? Result<TrainingConfig?, Error>.success(nil)
            : Result {
                try options.loadConfig(yaml: options.configYAML, profile: options.profile)
            }
        let data = Result { try TrainingData(directory: options.dataDirectory) }
        var offer = RankOffer(rank: world.rank)
        do {
            let config = try ownConfig.get()
            offer.config = try config.map { String(decoding: try $0.resolvedJSON(), as: UTF8.self) }
            offer.threads = try threadCount(config ?? TrainingConfig(), world: world)
            offer.dataset = RankOffer.fingerprint(try data.get())
        } catch {
            offer.error = "\(error)"
        }

        let settings = ((try? ownConfig.get()) ?? nil)?.training.distributed ?? .init()
        let parallel = try DataParallel.join(world, settings: settings)
        let offers = try parallel.gather(offer)
        if let error = offer.error { throw TrainingError.distributed(error) }
        let problems = RankOffer.problems(offers, me: world.rank)
        guard problems.isEmpty, let lead = offers[0].lead else { throw TrainingError.distributed(problems.joined(separator: "; ")) }

        // The run as rank 0 planned it, on this rank's data, device and threads.
        let config = try TrainingConfig.load(yaml: lead.config)
        let setup = TrainingSetup(options: options, config: config, data: try data.get(), device: try resolveDevice(options, config),
                                  threads: offer.threads ?? 1, model: lead.model, plan: lead.plan,
                                  resumed: lead.resumed.map { .init(checkpoint: nil, state: $0, parentUUID: lead.parentUUID ?? "") })
        let outcome = try train(setup, in: nil, parallel: parallel)
        guard outcome.status == .finished else {
            throw TrainingError.distributed(outcome.error ?? "the run ended as \(outcome.status.rawValue)")
        }
    }

    /// Rank 0's side of the start: joins the group (nothing to join for one process), offers
    /// its setup or its error, and checks every rank's offer. Returns the group and every
    /// rank's threads. Rank 0's own failure is left to its caller to record; the others'
    /// and any disagreement throw.
    static func meet(_ options: TrainOptions, prepared: Result<TrainingSetup, Error>,
                     config: TrainingConfig?) throws -> (DataParallel, rankThreads: [Int]) {
        let settings = config?.training.distributed ?? .init()
        guard options.world.size > 1 else { return (.alone(settings), [(try? prepared.get())?.threads ?? 1]) }
        let parallel = try DataParallel.join(options.world, settings: settings)
        var offer = RankOffer(rank: 0)
        switch prepared {
        case .success(let setup):
            let resolved = String(decoding: try setup.config.resolvedJSON(), as: UTF8.self)
            offer.threads = setup.threads
            offer.config = resolved
            offer.dataset = RankOffer.fingerprint(setup.data)
            offer.lead = .init(config: resolved, plan: setup.plan, model: setup.model, resumed: setup.resumed?.state,
                               parentUUID: setup.resumed?.parentUUID)
        case .failure(let error):
            offer.error = "\(error)"
        }
        let offers = try parallel.gather(offer)
        let problems = RankOffer.problems(offers, me: 0)
        guard problems.isEmpty else { throw TrainingError.distributed(problems.joined(separator: "; ")) }
        return (parallel, offers.map { $0.threads ?? 1 })
    }
}
