import Foundation
import StoreCommands
import Subprocess
import SystemPackage

/// `blocklab train --nproc-per-node N`: starts N workers of this same command on this machine
/// (torchrun's environment, the launch flags removed), passes on SIGINT and SIGTERM sent to
/// the launcher (rank 0 first, which then records the run `killed`), and waits for them.
///
/// When a worker ends: rank 0 failing means the others have no master, so they are stopped
/// (SIGTERM); any other rank failing is rank 0's to detect and record (`failed`, naming the
/// rank), and the rest fail on their own within the process group's timeout. A rank other
/// than 0 still running a timeout plus 30 s after rank 0 ended or a rank failed is killed, so
/// the launcher never hangs (rank 0's own waits are bounded by the timeout). Workers inherit
/// stdin, stdout and stderr: rank 0 prints the summary.
struct WorkerLauncher: Sendable {
    let perNode: Int
    let nodes: Int
    let nodeRank: Int
    let masterAddress: String
    let masterPort: Int
    /// `training.distributed.timeout_seconds`: how long a worker may take to notice a loss.
    let timeoutSeconds: Double

    /// Runs the workers to their end; returns the exit status the launcher should end with:
    /// rank 0's when it runs here, else the first failing worker's, else 0.
    func run() throws -> Int32 {
        // The command is synchronous; the workers are awaited on a task of their own.
        let result = Mutexed<Result<Int32, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let outcome: Result<Int32, Error>
            do { outcome = .success(try await self.launch()) } catch { outcome = .failure(error) }
            result.value = outcome
            done.signal()
        }
        done.wait()
        return try result.value!.get()
    }

    /// What one worker ended with.
    struct Ending: Sendable {
        let localRank: Int
        let status: TerminationStatus
    }

    private func launch() async throws -> Int32 {
        let executable = FilePath(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path)
        let arguments = Self.workerArguments(Array(CommandLine.arguments.dropFirst()))
        let pids = Mutexed(Array<pid_t?>(repeating: nil, count: perNode))
        let size = nodes * perNode
        say("starting \(perNode) ranks on this machine (\(nodeRank * perNode) to \(nodeRank * perNode + perNode - 1) of \(size)), master \(masterAddress):\(masterPort)")
        return try await withThrowingTaskGroup(of: Ending.self) { group in
            for local in 0..<perNode {
                let rank = nodeRank * perNode + local
                let environment = Environment.inherit.updating([
                    "WORLD_SIZE": "\(size)", "RANK": "\(rank)", "LOCAL_RANK": "\(local)", "LOCAL_WORLD_SIZE": "\(perNode)",
                    "GROUP_RANK": "\(nodeRank)", "MASTER_ADDR": masterAddress, "MASTER_PORT": "\(masterPort)",
                ])
                group.addTask {
                    let result = try await Subprocess.run(
                        .path(executable), arguments: Arguments(arguments), environment: environment,
                        input: .none,
                        output: .fileDescriptor(.standardOutput, closeAfterSpawningProcess: false),
                        error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false)
                    ) { execution in
                        let started = pids.update { list in
                            list[local] = execution.processIdentifier.value
                            return list.compactMap { $0 }
                        }
                        TerminationSignals.forward(to: started)   // in rank order: rank 0 first
                    }
                    return Ending(localRank: local, status: result.terminationStatus)
                }
            }
            var statuses = [TerminationStatus?](repeating: nil, count: perNode)
            let ended = Mutexed(Set<Int>())   // local ranks that ended, for the watchdog
            var stopped = false               // the launcher stopped the rest itself
            var watching = false
            for try await ending in group {
                statuses[ending.localRank] = ending.status
                ended.update { _ = $0.insert(ending.localRank) }
                let rank = nodeRank * perNode + ending.localRank
                let running = pids.value.indices.filter { statuses[$0] == nil }.compactMap { pids.value[$0] }
                if case .signaled(let signal) = ending.status, !stopped {
                    say("rank \(rank) was killed by signal \(signal)")
                }
                if rank == 0, !Self.succeeded(ending.status), !running.isEmpty {
                    say("rank 0 ended with \(Self.describe(ending.status)); stopping the other ranks on this machine")
                    stopped = true
                    for pid in running { kill(pid, SIGTERM) }
                }
                // A bound on the wait, once rank 0 ended or a rank failed: the others notice a
                // loss within the timeout. Rank 0 itself is never cut short (it may be writing
                // a checkpoint); its own waits are bounded by the timeout.
                if !watching, rank == 0 || !Self.succeeded(ending.status) {
                    watching = true
                    let followers = pids.value.enumerated().filter { $0.offset + nodeRank * perNode != 0 }
                    let grace = timeoutSeconds + 30
                    Thread.detachNewThread {
                        Thread.sleep(forTimeInterval: grace)
                        let gone = ended.value
                        for (local, pid) in followers where !gone.contains(local) { if let pid { kill(pid, SIGKILL) } }
                    }
                }
            }
            if let zero = nodeRank == 0 ? statuses[0] : nil { return Self.exitCode(zero) }
            return statuses.compactMap { $0 }.map(Self.exitCode).first { $0 != 0 } ?? 0
        }
    }

    /// The command line without the launch flags and their values (`--flag v` and `--flag=v`).
    static func workerArguments(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if LaunchOptions.flags.contains(argument) { skipNext = true; continue }
            if LaunchOptions.flags.contains(where: { argument.hasPrefix($0 + "=") }) { continue }
            kept.append(argument)
        }
        return kept
    }

    static func succeeded(_ status: TerminationStatus) -> Bool {
        if case .exited(0) = status { return true }
        return false
    }

    static func exitCode(_ status: TerminationStatus) -> Int32 {
        switch status {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "signal \(signal)"
        }
    }

    private func say(_ line: String) { Console.notice("blocklab train: \(line)") }
}
