import Foundation

/// A value that threads a test starts share, behind a lock.
public final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()

    public init(_ value: Value) { stored = value }

    /// A copy of the value now.
    public var value: Value { lock.withLock { stored } }

    /// Changes the value in place, under the lock.
    public func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
