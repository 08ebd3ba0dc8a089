import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import HardwareMonitor
import TrainingPlan

/// `blocklab demo`: records a realistic run without training anything: a loss that decays
/// with noise under a warmup + cosine schedule, evaluations, checkpoints written to disk,
/// and this machine's real hardware samples. Deterministic for a given seed. Prints the run
/// it recorded as `blocklab show` does (`--format table|json|csv`); progress goes to stderr.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Record a synthetic training run (decaying loss, real hardware samples) into the store and show it.")
    init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var quiet: QuietOption
    @OptionGroup var output: OutputOptions
    @Option(help: "Optimizer steps to simulate.") var steps = 1_000
    @Option(help: "Seed of the noise.") var seed: UInt64 = 42
    @Option(help: "Where checkpoints go.") var out = "out/demo"
    @Option(help: "The run's name.") var name = "demo"

    /// The simulated run covers this many epochs (recorded as the train phase's `epochs`).
    static let epochs = 3

    static let configYAML = """
        # A demo config: the keys a real training run records.
        model:
          preset: tiny
          n_layer: 4
          n_head: 4
          n_embd: 256
        training:
          base_learning_rate: 5e-4
          warmup_ratio: 0.1
          warmup_steps_min: 20
          warmup_steps_max: 1000
          batch_size: 8
          seed: 42
          eval_every: 50
        """

    func validate() throws {
        guard steps >= 10 else { throw ValidationError("--steps must be at least 10") }
    }

    func run() throws {
        let store = try storeOptions.openForWriting()
        let snapshot = try YAMLSnapshot.load(text: Self.configYAML)
        let run = try store.startRun(RunSpec(name: name, experiment: "demo", tags: ["kind": "synthetic"], config: snapshot))
        TerminationSignals.endRunsOnSignal()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        let currentStep = Mutexed(0)
        let sampler = HardwareSampler(interval: 0.25, currentStep: { currentStep.value }, onSample: { run.logHardware($0) })
        sampler.start()
        try run.startPhase("train")

        var random = SeededGenerator(seed: seed)
        let warmup = TrainingPlan.warmupSteps(totalSteps: steps, ratio: 0.1, minSteps: 20, maxSteps: 1000)
        let peakLR = 5e-4
        var bestVal = Double.infinity
        let started = Date()
        for step in 1...steps {
            currentStep.value = step
            let epoch = Double(Self.epochs) * Double(step) / Double(steps)
            let lr = step <= warmup ? peakLR * Double(step) / Double(warmup)
                : peakLR * 0.5 * (1 + cos(Double.pi * Double(step - warmup) / Double(steps - warmup)))
            let loss = 2.1 + 7.9 * exp(-Double(step) / (Double(steps) / 6)) + 0.08 * random.normal()
            run.log(step: step, epoch: epoch, [
                "train/loss": loss, "train/lr": lr, "train/grad_norm": 0.6 + 3 * exp(-Double(step) / 100) + 0.05 * abs(random.normal()),
                "train/tokens_per_s": 41_000 + 1_500 * random.normal(), "train/step_time_s": 0.1 + 0.004 * random.normal(),
            ])
            if step % 50 == 0 || step == steps {
                let valLoss = 2.25 + 7.7 * exp(-Double(step) / (Double(steps) / 6)) + 0.02 * random.normal()
                run.log(step: step, epoch: epoch, ["val/loss": valLoss, "val/perplexity": exp(valLoss)])
                if valLoss < bestVal {
                    bestVal = valLoss
                    let path = "\(out)/checkpoint-\(step).bin"
                    try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }).write(to: URL(fileURLWithPath: path))
                    try run.recordCheckpoint(path: path, step: step, epoch: epoch, format: "demo", isBest: true,
                                             metrics: ["val/loss": valLoss])
                }
            }
            if step % 100 == 0 {
                Console.notice(String(format: "blocklab demo: step %d/%d  loss %.3f", step, steps, loss))
            }
            Thread.sleep(forTimeInterval: 2.0 / Double(steps))  // a couple of seconds in all, so hardware samples span it
        }
        sampler.stop()
        try run.finishPhase("train", stats: ["steps": steps, "epochs": Self.epochs, "seconds": Int(Date().timeIntervalSince(started))])
        try run.finish()
        Console.notice("blocklab demo: recorded run \(run.id) (\(run.uuid)) in \(store.path)")
        try ShowCommand.print(try store.manifest(for: try store.run(String(run.id))), output)
    }
}
