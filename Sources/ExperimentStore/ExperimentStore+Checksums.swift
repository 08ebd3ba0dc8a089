import Crypto
import Foundation

// SHA-256 checksums as lowercase hex, on swift-crypto (BoringSSL's SHA-256, with the CPU's
// SHA extensions where it has them): of config snapshots and migrations in memory, and of
// checkpoint and artifact files read in 1 MiB blocks, so a multi-gigabyte checkpoint never
// sits in memory. Each digest is the one `sha256sum` prints, so a recorded checksum can be
// checked from the shell.

extension ExperimentStore {
    /// The lowercase hex SHA-256 of `data`.
    ///
    ///     ExperimentStore.sha256(of: Data("abc".utf8))  // "ba7816bf...f20015ad"
    public static func sha256(of data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The hex SHA-256 and size of a file, read in 1 MiB blocks.
    public static func sha256(ofFile path: String) throws -> (hex: String, bytes: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.fileMissing(path: path, what: "file")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            total += Int64(chunk.count)
        }
        return (hex(hasher.finalize()), total)
    }

    /// The checksum of a file, or of a directory as the SHA-256 of its sorted listing of
    /// "<sha256>  <relative path>\n" lines (the format of `sha256sum`), with the total size.
    public static func sha256(ofPath path: String) throws -> (hex: String, bytes: Int64) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StoreError.fileMissing(path: path, what: "file")
        }
        guard isDirectory.boolValue else { return try sha256(ofFile: path) }
        let files = (FileManager.default.subpaths(atPath: path) ?? []).sorted().filter { relative in
            var dir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &dir)
            return !dir.boolValue
        }
        var listing = ""
        var total: Int64 = 0
        for relative in files {
            let (hex, bytes) = try sha256(ofFile: path + "/" + relative)
            listing += "\(hex)  \(relative)\n"
            total += bytes
        }
        return (sha256(of: Data(listing.utf8)), total)
    }

    /// A digest's bytes as lowercase hex, two digits each.
    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }
}
