import Glibc
import StoreCommands

/// `blocklab-full`: the executable that holds every command, found in the launcher's own
/// directory (symbolic links resolved, so a link to `blocklab` on PATH works).
enum FullBinary {
    static let name = "blocklab-full"

    /// Replaces this process with `blocklab-full`, passing `arguments` unchanged (the first
    /// stays `blocklab`, the name people typed). Returns only by exiting 127 (`ExitStatus.cannotRun`) with the reason.
    static func exec(_ arguments: [String]) -> Never {
        let path = directoryOfThisExecutable() + "/" + name
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(path, &argv)
        let reason = String(cString: strerror(errno))
        let message = "blocklab: cannot run \(path) (\(reason)). It holds every command but the store's and is built beside "
            + "`blocklab`: run `make build` (or `swift build -c release --product \(name)`), or copy it next to this binary.\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(ExitStatus.cannotRun.rawValue)
    }

    /// The directory of the running executable, from `/proc/self/exe`.
    private static func directoryOfThisExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "." }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
