import CTorch

/// A failed libtorch call: which call, what kind of failure, and libtorch's own message.
public struct TorchError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case outOfMemory, invalidArgument, other }
    public let kind: Kind
    public let message: String
    public var description: String {
        kind == .outOfMemory ? "out of memory: \(message)" : message
    }
}

/// The one place a `ct_status` becomes a Swift error (NIO's `syscall` pattern).
@inline(__always)
func check(_ status: ct_status) throws(TorchError) {
    guard status != CT_OK else { return }
    let message = String(cString: ct_last_error())
    switch status {
    case CT_OUT_OF_MEMORY: throw TorchError(kind: .outOfMemory, message: message)
    case CT_INVALID_ARGUMENT: throw TorchError(kind: .invalidArgument, message: message)
    default: throw TorchError(kind: .other, message: message)
    }
}
