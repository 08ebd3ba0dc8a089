import CTorch

/// A process group of data-parallel ranks (owns a `ct_dist`): libtorch's c10d, a TCPStore
/// served by rank 0 and Gloo over TCP, as `torch.distributed` with the gloo backend.
/// Every call is a collective: every rank must make the same calls in the same order.
///
///     let group = try ProcessGroup(masterAddress: "127.0.0.1", masterPort: 29500, rank: r, worldSize: 2, timeout: 60)
///     try group.broadcast(parameters: model, from: 0)
///     let total = try group.sum([localLoss])[0]
public final class ProcessGroup {
    let handle: OpaquePointer
    public let rank: Int
    public let worldSize: Int

    /// Joins the group; returns once all `worldSize` ranks have (or throws after `timeout`
    /// seconds, which also bounds every later collective). Rank 0 serves the store unless
    /// `storeIsServed` (a launcher such as torchrun serves it; keys then go under
    /// `keyPrefix`). Errors: `.addressInUse` (the port cannot be served), `.unreachable` (no
    /// master, or not every rank came).
    public init(masterAddress: String, masterPort: Int, rank: Int, worldSize: Int, timeout: Double,
                storeIsServed: Bool = false, keyPrefix: String = "") throws(TorchError) {
        var out: OpaquePointer?
        try check(ct_dist_new(masterAddress, Int32(masterPort), Int32(rank), Int32(worldSize), rank == 0 && !storeIsServed ? 1 : 0,
                              keyPrefix, timeout, &out))
        handle = out!
        self.rank = rank
        self.worldSize = worldSize
    }

    deinit { ct_dist_free(handle) }

    /// Overwrites every rank's parameters with rank `root`'s.
    public func broadcast(parameters model: GPTModel, from root: Int) throws(TorchError) {
        try check(ct_dist_broadcast_parameters(handle, model.handle, Int32(root)))
    }

    /// Overwrites every rank's AdamW moments and step count with rank `root`'s.
    public func broadcast(optimizer: AdamW, from root: Int) throws(TorchError) {
        try check(ct_dist_broadcast_optimizer(handle, optimizer.handle, Int32(root)))
    }

    /// Sums the model's gradients over all ranks in place, in buckets of `bucketBytes`.
    public func sumGradients(of model: GPTModel, bucketBytes: Int) throws(TorchError) {
        try check(ct_dist_all_reduce_gradients(handle, model.handle, Int64(bucketBytes)))
    }

    /// Every rank's `values`, summed element by element (the same count on every rank).
    public func sum(_ values: [Double]) throws(TorchError) -> [Double] {
        var values = values
        try check(ct_dist_all_reduce_sum(handle, &values, Int64(values.count)))
        return values
    }

    /// Every rank's bytes, in rank order; ranks may send different lengths (two collectives:
    /// the lengths, then the bytes padded to the longest).
    public func gather(_ bytes: [UInt8]) throws(TorchError) -> [[UInt8]] {
        var lengths = [Double](repeating: 0, count: worldSize)
        lengths[rank] = Double(bytes.count)
        lengths = try sum(lengths)
        let longest = max(1, Int(lengths.max() ?? 0))
        var padded = bytes + [UInt8](repeating: 0, count: longest - bytes.count)
        var out = [UInt8](repeating: 0, count: longest * worldSize)
        try check(ct_dist_all_gather(handle, &padded, Int64(longest), &out))
        return (0..<worldSize).map { r in Array(out[(r * longest)..<(r * longest + Int(lengths[r]))]) }
    }

    /// After a collective failed: the ranks that are gone (heartbeat still for `window`
    /// seconds, and no failure of their own reported). `.peerLost` if the store itself is
    /// gone, which means rank 0 is.
    public func lostRanks(window: Double) throws(TorchError) -> [Int] {
        var lost = [Int32](repeating: 0, count: worldSize)
        try check(ct_dist_lost_ranks(handle, window, &lost))
        return lost.indices.filter { lost[$0] != 0 }
    }
}
