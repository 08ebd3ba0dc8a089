import CGit2

/// A git object id (SHA-1), copied out of libgit2 so no C pointer escapes.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    var oid: git_oid

    init(_ oid: git_oid) { self.oid = oid }
    init(_ pointer: UnsafePointer<git_oid>) { self.oid = pointer.pointee }

    /// Parses a full 40-digit hex id; nil when it is not one.
    public init?(hex: String) {
        guard hex.utf8.count == 40 else { return nil }
        var oid = git_oid()
        guard git_oid_fromstrn(&oid, hex, 40) == 0 else { return nil }
        self.oid = oid
    }

    /// 40 lowercase hex digits.
    public var hex: String {
        withUnsafeBytes(of: oid) { raw in
            String(unsafeUninitializedCapacity: 40) { out in
                let digits: StaticString = "0123456789abcdef"
                let table = digits.utf8Start
                for i in 0..<20 {
                    out[2 * i] = table[Int(raw[i] >> 4)]
                    out[2 * i + 1] = table[Int(raw[i] & 0x0f)]
                }
                return 40
            }
        }
    }

    public var description: String { hex }

    public static func == (a: ObjectID, b: ObjectID) -> Bool {
        withUnsafeBytes(of: a.oid) { x in withUnsafeBytes(of: b.oid) { y in x.elementsEqual(y) } }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: oid) { hasher.combine(bytes: $0) }
    }
}
