import Foundation

/// Reads a store's `-wal` file the way SQLite's recovery does (https://sqlite.org/fileformat2.html#walformat),
/// to find what that recovery would drop without a word: committed transactions after a frame
/// whose checksum fails (garbage written into the log, a damaged copy). SQLite keeps the frames
/// up to the last commit of the valid prefix and ignores the rest; a torn tail with no commit
/// after the break is a transaction that never finished (a crash), which is not damage.
///
/// Only a log no other process has open is read (SQLite's own test: nobody holds the
/// dead-man-switch byte of the `-shm`), so a frame being written right now is never taken for
/// damage. The caller also skips a log this process has open.
enum WriteAheadLog {
    /// What is wrong with the log beside `path`, or nil when nothing would be lost.
    static func damage(ofStoreAt path: String) -> String? {
        let wal = path + "-wal"
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: wal),
              let size = (attributes[.size] as? NSNumber)?.intValue, size > 0,
              !otherProcessHasOpen(shm: path + "-shm"),
              let data = FileManager.default.contents(atPath: wal)
        else { return nil }
        return damage(in: [UInt8](data))
    }

    /// The verdict on a log's bytes (see the type's comment).
    static func damage(in bytes: [UInt8]) -> String? {
        guard bytes.count >= 32 else { return nil }  // a header torn while the log restarted: no frame yet
        let magic = word(bytes, 0, bigEndian: true)
        let pageField = Int(word(bytes, 8, bigEndian: true))
        let pageSize = pageField == 1 ? 65536 : pageField
        let validPageSize = pageSize >= 512 && pageSize <= 65536 && pageSize & (pageSize - 1) == 0
        guard magic & ~1 == 0x377f_0682, validPageSize, word(bytes, 4, bigEndian: true) == 3_007_000 else {
            // Frames follow a header that is not one: SQLite ignores the whole file.
            return bytes.count >= 32 + 24 + 512 ? "its header is not a write-ahead log header; SQLite would ignore all \(bytes.count) bytes of it" : nil
        }
        let bigEndian = magic & 1 == 1
        var sum = checksum(bytes, 0..<24, bigEndian: bigEndian, seed: (0, 0))
        guard sum == (word(bytes, 24, bigEndian: true), word(bytes, 28, bigEndian: true)) else {
            return "its header's checksum fails; SQLite would ignore all \(bytes.count) bytes of it"
        }
        let salts = (word(bytes, 16, bigEndian: true), word(bytes, 20, bigEndian: true))
        let frameSize = 24 + pageSize
        let frames = (bytes.count - 32) / frameSize
        var validCommits = 0
        var frame = 0
        while frame < frames {
            let at = 32 + frame * frameSize
            guard (word(bytes, at + 8, bigEndian: true), word(bytes, at + 12, bigEndian: true)) == salts else { break }
            let next = checksum(bytes, at + 24..<at + frameSize, bigEndian: bigEndian,
                                seed: checksum(bytes, at..<at + 8, bigEndian: bigEndian, seed: sum))
            guard next == (word(bytes, at + 16, bigEndian: true), word(bytes, at + 20, bigEndian: true)) else { break }
            sum = next
            if word(bytes, at + 4, bigEndian: true) != 0 { validCommits += 1 }
            frame += 1
        }
        let broken = frame
        var lostCommits = 0
        for later in broken..<frames {
            let at = 32 + later * frameSize
            if (word(bytes, at + 8, bigEndian: true), word(bytes, at + 12, bigEndian: true)) == salts,
               word(bytes, at + 4, bigEndian: true) != 0 { lostCommits += 1 }
        }
        guard lostCommits > 0 else { return nil }
        return "frame \(broken + 1) of \(frames) fails its checksum, so the \(lostCommits) committed transaction\(lostCommits == 1 ? "" : "s") "
            + "from there on would be lost; the \(validCommits) before \(validCommits == 1 ? "it is" : "them are") readable"
    }

    /// SQLite's WAL checksum: pairs of 32-bit words, in the log's byte order, added up with the seed.
    private static func checksum(_ bytes: [UInt8], _ range: Range<Int>, bigEndian: Bool, seed: (UInt32, UInt32)) -> (UInt32, UInt32) {
        var (s0, s1) = seed
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            s0 = s0 &+ word(bytes, i, bigEndian: bigEndian) &+ s1
            s1 = s1 &+ word(bytes, i + 4, bigEndian: bigEndian) &+ s0
            i += 8
        }
        return (s0, s1)
    }

    private static func word(_ bytes: [UInt8], _ at: Int, bigEndian: Bool) -> UInt32 {
        let b = (UInt32(bytes[at]), UInt32(bytes[at + 1]), UInt32(bytes[at + 2]), UInt32(bytes[at + 3]))
        return bigEndian ? b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3 : b.3 << 24 | b.2 << 16 | b.1 << 8 | b.0
    }

    /// Whether another process holds the `-shm`'s dead-man-switch byte (128), as every SQLite
    /// connection to the store does while it is open.
    private static func otherProcessHasOpen(shm: String) -> Bool {
        let fd = open(shm, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }  // no -shm: nobody has the store open
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 128
        lock.l_len = 1
        guard fcntl(fd, F_GETLK, &lock) == 0 else { return true }  // cannot tell: leave the log alone
        return lock.l_type != Int16(F_UNLCK)
    }
}
