import Foundation
import TestSupport
import Glibc
import Testing

/// What the data-parallel tests need around the processes they start: free ports on
/// 127.0.0.1, the workers of a launcher and their ranks (from /proc), and the weights of a
/// model directory.
enum Ranks {
    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick).
    static func freePort() throws -> Int { try freeLoopbackPort() }

    /// A socket listening on 127.0.0.1:`port`, held until `close`d: a port in use.
    static func listen(on port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let ok = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard fd >= 0, ok, Glibc.listen(fd, 8) == 0 else { throw TestFailure("could not listen on 127.0.0.1:\(port)") }
        return fd
    }

    /// The live children of `pid`, by the RANK in their environment.
    static func workers(of pid: pid_t) -> [Int: pid_t] {
        var found: [Int: pid_t] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // pid (comm) state ppid ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == pid,
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            for variable in environ.split(separator: 0) {
                let text = String(decoding: variable, as: UTF8.self)
                if text.hasPrefix("RANK="), let rank = Int(text.dropFirst(5)) { found[rank] = child }
            }
        }
        return found
    }

    /// This machine's name, as gethostname(2) gives it.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether process `pid` is gone (and reaped).
    static func isGone(_ pid: pid_t) -> Bool { kill(pid, 0) == -1 && errno == ESRCH }

    /// Every float32 tensor of a safetensors file, by name (the format: an 8-byte little-endian
    /// header length, a JSON header of dtype, shape and data offsets, then the data).
    static func tensors(_ path: String) throws -> [String: [Float]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        guard let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any] else {
            throw TestFailure("\(path) has no safetensors header")
        }
        var out: [String: [Float]] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], entry["dtype"] as? String == "F32",
                  let offsets = entry["data_offsets"] as? [Int] else { throw TestFailure("\(name) in \(path) is not float32") }
            let bytes = data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[1]))
            out[name] = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        return out
    }

    /// The largest absolute difference between two models' weights (same names and sizes).
    static func maxDifference(_ a: String, _ b: String) throws -> Float {
        let x = try tensors(a), y = try tensors(b)
        #expect(Set(x.keys) == Set(y.keys) && !x.isEmpty)
        var worst: Float = 0
        for (name, values) in x {
            let other = try #require(y[name])
            #expect(values.count == other.count, "\(name)")
            for (u, v) in zip(values, other) { worst = max(worst, abs(u - v)) }
        }
        return worst
    }
}
