import ArgumentParser
import StoreCommands
import Foundation
import Training

/// `blocklab train`'s launch flags, named as torchrun names them. With `--nproc-per-node N`
/// this process only launches N workers of the same command and waits for them; a process
/// started without it finds its place in the environment torchrun-style launchers set
/// (WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
struct LaunchOptions: ParsableArguments {
    @Option(name: .customLong("nproc-per-node"), help: ArgumentHelp("Start N training processes (ranks) on this machine and train data-parallel.", valueName: "n"))
    var nprocPerNode: Int?
    @Option(help: ArgumentHelp("Machines taking part, each starting --nproc-per-node ranks.", valueName: "m"))
    var nnodes = 1
    @Option(help: ArgumentHelp("This machine's index among them, 0 to --nnodes - 1; node 0 runs rank 0, which owns the run.", valueName: "r"))
    var nodeRank = 0
    @Option(help: ArgumentHelp("Address of node 0, reachable from every node (default 127.0.0.1 on one machine).", valueName: "host"))
    var masterAddr: String?
    @Option(help: ArgumentHelp("Port rank 0 serves the process group on (default \(World.defaultMasterPort)).", valueName: "port"))
    var masterPort: Int?

    /// The flags (each followed by its value) a worker must not see again.
    static let flags = ["--nproc-per-node", "--nnodes", "--node-rank", "--master-addr", "--master-port"]

    func validate() throws {
        guard let n = nprocPerNode else {
            if nnodes != 1 || nodeRank != 0 || masterAddr != nil || masterPort != nil {
                throw ValidationError("--nnodes, --node-rank, --master-addr and --master-port go with --nproc-per-node N (the ranks to start on this machine)")
            }
            return
        }
        guard n >= 1 else { throw ValidationError("--nproc-per-node must be at least 1, got \(n)") }
        guard nnodes >= 1 else { throw ValidationError("--nnodes must be at least 1, got \(nnodes)") }
        guard (0..<nnodes).contains(nodeRank) else { throw ValidationError("--node-rank must be between 0 and --nnodes - 1 (\(nnodes - 1)), got \(nodeRank)") }
        if nnodes > 1 && masterAddr == nil {
            throw ValidationError("--nnodes \(nnodes) needs --master-addr: the address of node 0 that every node can reach")
        }
        if let port = masterPort, !(1...65535).contains(port) {
            throw ValidationError("--master-port must be a TCP port (1-65535), got \(port)")
        }
    }

    /// This process's place among the ranks, for `options` (the train command's, built):
    /// - with `--nproc-per-node`: launches the workers, waits for them, and ends the command
    ///   with their status (throws `ExitCode`);
    /// - as a rank other than 0: trains in step with rank 0, and ends the command (throws
    ///   `ExitCode`; rank 0 owns the run and the output);
    /// - otherwise returns the world (rank 0 of many, or one process alone).
    func world(for options: TrainOptions) throws -> World {
        if let n = nprocPerNode {
            let launcher = WorkerLauncher(perNode: n, nodes: nnodes, nodeRank: nodeRank,
                                          masterAddress: masterAddr ?? "127.0.0.1", masterPort: masterPort ?? World.defaultMasterPort,
                                          timeoutSeconds: (try? options.loadConfig(yaml: options.configYAML, profile: options.profile))?
                                              .training.distributed.timeoutSeconds ?? TrainingConfig().training.distributed.timeoutSeconds)
            throw ExitCode(try launcher.run())
        }
        let world: World
        do { world = try World.fromEnvironment() } catch { throw CLIError("\(error)", status: .config) }
        if world.ownsTheRun { return world }

        TerminationSignals.endRunsOnSignal()
        var options = options
        options.world = world
        options.progress = { Console.isWarning($0) ? Console.warning("rank \(world.rank): \($0)") : Console.notice("rank \(world.rank): \($0)") }
        do { try Trainer.follow(options) } catch {
            FileHandle.standardError.write(Data("error (rank \(world.rank)): \(error)\n".utf8))
            throw ExitCode.failure
        }
        throw ExitCode.success
    }
}
