import CTorch

/// A failed libtorch call: which call, what kind of failure, and libtorch's own message.
public struct TorchError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        case outOfMemory, invalidArgument, other
        /// Process groups: the master port is taken here; the master cannot be reached (or the
        /// ranks did not all join in time); another rank was lost during a collective.
        case addressInUse, unreachable, peerLost
    }
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
    case CT_ADDRESS_IN_USE: throw TorchError(kind: .addressInUse, message: message)
    case CT_UNREACHABLE: throw TorchError(kind: .unreachable, message: message)
    case CT_PEER_LOST: throw TorchError(kind: .peerLost, message: message)
    default: throw TorchError(kind: .other, message: message)
    }
}
