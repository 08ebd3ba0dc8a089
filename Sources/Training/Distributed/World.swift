import Foundation

/// This process's place among data-parallel ranks, in torchrun's terms: `size` ranks in all
/// (WORLD_SIZE), this one's `rank` (RANK), and on this machine `localSize` ranks of which it
/// is `localRank` (LOCAL_WORLD_SIZE, LOCAL_RANK); they meet at the master (MASTER_ADDR,
/// MASTER_PORT), which rank 0 serves. One process alone is `World.single`.
///
/// The one rule of data parallelism here (`share`): a batch is cut into runs of B sequences
/// (B = the per-rank batch size) and run k goes to rank k mod size. A training step's global
/// batch is A micro-batches of size × B sequences, so in each micro-batch rank r takes the
/// r-th run; N ranks × batch B then see exactly what one process × batch N·B sees.
public struct World: Sendable, Codable, Equatable {
    public var rank: Int
    public var size: Int
    public var localRank: Int
    public var localSize: Int
    public var masterAddress: String
    public var masterPort: Int
    /// Set when the launcher itself serves the store at the master (torchrun's agent says so
    /// with TORCHELASTIC_USE_AGENT_STORE=True): no rank serves it then, and every key goes
    /// under this prefix (`/worker/attempt_N`, N = TORCHELASTIC_RESTART_COUNT), as torch's own
    /// workers do.
    public var launcherStorePrefix: String?

    public static let defaultMasterPort = 29500
    public static let single = World(rank: 0, size: 1, localRank: 0, localSize: 1, masterAddress: "127.0.0.1", masterPort: defaultMasterPort)

    public init(rank: Int, size: Int, localRank: Int, localSize: Int, masterAddress: String, masterPort: Int) {
        self.rank = rank
        self.size = size
        self.localRank = localRank
        self.localSize = localSize
        self.masterAddress = masterAddress
        self.masterPort = masterPort
    }

    /// Rank 0 owns the run in the store: metrics, evaluations, checkpoints, the report.
    public var ownsTheRun: Bool { rank == 0 }

    /// The world torchrun-style launchers describe in the environment; `single` when
    /// WORLD_SIZE is unset. Malformed or inconsistent values throw, naming the variable.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> World {
        guard let sizeText = environment["WORLD_SIZE"], !sizeText.isEmpty else { return .single }
        func number(_ name: String, _ fallback: Int?) throws -> Int {
            guard let text = environment[name], !text.isEmpty else {
                if let fallback { return fallback }
                throw TrainingError.badConfig("WORLD_SIZE is set but \(name) is not: a torchrun-style launcher sets WORLD_SIZE, RANK, MASTER_ADDR and MASTER_PORT together")
            }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
                throw TrainingError.badConfig("\(name)=\(text) is not a whole number")
            }
            return value
        }
        let size = try number("WORLD_SIZE", nil), rank = try number("RANK", nil)
        let localSize = try number("LOCAL_WORLD_SIZE", size), localRank = try number("LOCAL_RANK", rank % max(localSize, 1))
        let port = try number("MASTER_PORT", defaultMasterPort)
        let address = environment["MASTER_ADDR"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        var world = World(rank: rank, size: size, localRank: localRank, localSize: localSize, masterAddress: address, masterPort: port)
        if environment["TORCHELASTIC_USE_AGENT_STORE"] == "True" {
            world.launcherStorePrefix = "/worker/attempt_\(environment["TORCHELASTIC_RESTART_COUNT"] ?? "0")"
        }
        try world.validate()
        return world
    }

    /// Throws when the numbers cannot describe a world.
    public func validate() throws {
        func need(_ ok: Bool, _ message: String) throws { if !ok { throw TrainingError.badConfig(message) } }
        try need(size >= 1, "WORLD_SIZE must be at least 1, got \(size)")
        try need(rank < size, "RANK \(rank) is not below WORLD_SIZE \(size): ranks count 0 to WORLD_SIZE - 1")
        try need(localSize >= 1 && localSize <= size, "LOCAL_WORLD_SIZE \(localSize) must be between 1 and WORLD_SIZE \(size)")
        try need(localRank < localSize, "LOCAL_RANK \(localRank) is not below LOCAL_WORLD_SIZE \(localSize)")
        try need((1...65535).contains(masterPort), "MASTER_PORT \(masterPort) is not a TCP port (1-65535)")
    }

    /// This rank's part of `batch`: run k of `runLength` consecutive elements goes to rank
    /// k mod size (see the type's comment). One process takes everything.
    public func share<C: Collection>(of batch: C, runLength: Int) -> [C.Element] {
        precondition(runLength > 0)
        return batch.enumerated().filter { ($0.offset / runLength) % size == rank }.map(\.element)
    }
}
