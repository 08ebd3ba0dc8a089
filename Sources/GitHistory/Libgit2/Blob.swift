import CGit2

/// Owns a `git_blob`.
final class Blob {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { git_blob_free(handle) }

    var size: Int { Int(git_blob_rawsize(handle)) }
    /// libgit2's heuristic, the same as git's: a NUL byte or too many non-printables early on.
    var isBinary: Bool { git_blob_is_binary(handle) == 1 }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: git_blob_rawcontent(handle), count: size))
    }
}
