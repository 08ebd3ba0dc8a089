import Crypto

/// Qdrant point ids derived from content: a UUID version 5 (RFC 9562, SHA-1 based) of a name
/// in the URL namespace, so the same commit always gets the same point and a second upload
/// overwrites instead of duplicating. Python gives the same: `uuid.uuid5(uuid.NAMESPACE_URL, name)`.
///
///     PointID.uuid5("9fceb02d0ae598e95dc970b74767f19372d61af8")  // "7e722d2d-ebf2-51fa-a83b-6a66a34356f8"
public enum PointID {
    /// RFC 9562's URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
    static let urlNamespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]

    /// The lower-case, hyphenated UUIDv5 of `name` (its UTF-8 bytes) in the URL namespace.
    public static func uuid5(_ name: String) -> String {
        // SHA-1 is what RFC 9562 names for version 5; ids need no collision resistance
        // beyond telling commits apart. swift-crypto keeps it under `Insecure` for that reason.
        var bytes = Array(Insecure.SHA1.hash(data: urlNamespace + Array(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = bytes.map { byte -> String in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
