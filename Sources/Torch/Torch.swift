import CTorch

/// Where tensors live. `auto` picks CUDA when this libtorch build has a visible device.
public enum Device: String, Sendable, CaseIterable, Codable {
    case auto, cpu, cuda

    /// The concrete device `auto` stands for on this machine.
    public var resolved: Device {
        switch self {
        case .auto: return Torch.cudaIsAvailable ? .cuda : .cpu
        default: return self
        }
    }

    var c: ct_device { resolved == .cuda ? CT_DEVICE_CUDA : CT_DEVICE_CPU }
}

/// Library-wide settings of libtorch. There is no global seed: each `GPTModel` owns its
/// generator (`GPTModel(config:seed:)`, `setDropoutSeed`).
///
/// libtorch is loaded on first use (see ctorch.h), not when the process starts; `load()`
/// loads it now, so a command can report a missing or broken libtorch before it starts work.
public enum Torch {
    /// Loads libBlockLabTorch.so and libtorch if not yet loaded; throws what is missing and
    /// how to install it.
    public static func load() throws(TorchError) { try check(ct_library_load()) }
    /// Where libBlockLabTorch.so is loaded from ($BLOCKLAB_TORCH_LIBRARY, else beside the executable).
    public static var libraryPath: String { String(cString: ct_library_path()) }
    /// Intra-op threads for the libtorch calls of the calling thread (libtorch defaults to 1 on
    /// Debian's build; use the core count). Another thread's count is its own, so two runs on
    /// two threads of one process each keep theirs.
    public static func setThreads(_ count: Int) throws(TorchError) { try check(ct_set_num_threads(Int32(count))) }
    /// The calling thread's intra-op thread count.
    public static var threads: Int { Int(ct_get_num_threads()) }
    public static var cudaIsAvailable: Bool { ct_cuda_is_available() != 0 }
    public static var cudaDeviceCount: Int { Int(ct_cuda_device_count()) }
    /// libtorch's version (its headers' TORCH_VERSION), loading it first; throws what is missing.
    public static func version() throws(TorchError) -> String {
        try load()
        return ct_torch_version().map { String(cString: $0) } ?? "unknown"
    }
    /// CPU tensors from a cache of freed blocks (see ctorch.h); at most `limit` bytes cached.
    public static func useCachingAllocator(limit: Int64 = 0) throws(TorchError) { try check(ct_use_caching_allocator(limit)) }
    /// Returns the cached blocks to the system.
    public static func releaseCachedMemory() { ct_release_cached_memory() }
}
