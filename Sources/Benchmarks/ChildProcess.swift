import ArgumentParser
import ExperimentStore
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

// The programs benchmarks start (part of the benchmarks' shared support; see BenchSupport.swift).

// MARK: - Child processes

/// Programs the benchmarks start (git, Python peers, BlockLab's own worker). swift-subprocess
/// spawns, waits for and reaps each one inside the call, so nothing outlives it and its CPU
/// time lands in `BenchClock.cpuSeconds(children: true)`. Its stdout is read here in blocking
/// reads of up to 1 MiB: swift-subprocess's output sequence hands over whatever the pipe holds
/// (about 5 KB a time from `git log -p`) and cost this process four times the CPU for the same
/// bytes, time that would be counted against git. Its stderr goes to a temporary file whose
/// tail is kept, or straight to ours; neither needs reading while the child runs.
public enum ChildProcess {
    /// How a child ended, with the last 8 KiB of its stderr (empty when it was passed on).
    public struct Exit: Sendable {
        public let status: TerminationStatus
        public let standardErrorTail: String
        public var succeeded: Bool { status.isSuccess }
    }

    /// Runs `program` (a path, or a name looked up in PATH) and returns its stdout; a non-zero
    /// exit throws with the command and the tail of its stderr. `passStandardError` writes the
    /// child's stderr to ours as it comes (its progress lines) instead of keeping its tail.
    public static func output(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                              passStandardError: Bool = false) async throws -> String {
        var bytes: [UInt8] = []
        let exit = try await stream(program, arguments, environment: environment, passStandardError: passStandardError) {
            bytes.append(contentsOf: $0)
            return true
        }
        guard exit.succeeded else { throw failure(program, arguments, exit) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs `program`, handing its stdout to `consume` in chunks of up to 1 MiB as they fill;
    /// when `consume` returns false the child is killed and the rest of its output ignored.
    public static func stream(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                              passStandardError: Bool = false,
                              consume: (UnsafeRawBufferPointer) -> Bool) async throws -> Exit {
        let errors = passStandardError ? FileDescriptor.standardError : try temporaryFile()
        defer { if !passStandardError { try? errors.close() } }
        let (readEnd, writeEnd) = try FileDescriptor.pipe()
        defer { try? readEnd.close() }
        let result = try await Subprocess.run(executable(program), arguments: Arguments(arguments),
                                              environment: inherited(updating: environment), input: .none,
                                              output: .fileDescriptor(writeEnd, closeAfterSpawningProcess: true),
                                              error: .fileDescriptor(errors, closeAfterSpawningProcess: false)) { execution in
            // Blocking reads on this thread: nothing else has to run until the child closes stdout.
            if try !readAll(readEnd, program, consume) { try? execution.send(signal: .kill) }
        }
        return Exit(status: result.terminationStatus, standardErrorTail: passStandardError ? "" : tail(of: errors))
    }

    /// Runs `program` with its stdout on /dev/null, for timing a command rather than reading
    /// it, and returns how it ended with the tail of its stderr. Costs one temporary file and
    /// the spawn; `blocklab bench cli` reports what this adds to a child's wall time.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Exit {
        let errors = try temporaryFile()
        defer { try? errors.close() }
        let result = try await Subprocess.run(executable(program), arguments: Arguments(arguments),
                                              environment: inherited(updating: environment), input: .none, output: .discarded,
                                              error: .fileDescriptor(errors, closeAfterSpawningProcess: false))
        return Exit(status: result.terminationStatus, standardErrorTail: tail(of: errors))
    }

    /// The absolute path `program` runs from: itself when it holds a `/` and is executable,
    /// else the first match in PATH; nil when there is none.
    public static func locate(_ program: String) async -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        return try? await Executable.name(program).resolveExecutablePath(in: .inherit).string
    }

    private static func executable(_ program: String) -> Executable {
        program.contains("/") ? .path(FilePath(program)) : .name(program)
    }

    private static func inherited(updating environment: [String: String]) -> Environment {
        var overrides: [Environment.Key: String?] = [:]
        for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
        return Environment.inherit.updating(overrides)
    }

    /// The error for a child that failed: the command, how it ended, and its stderr's tail.
    public static func failure(_ program: String, _ arguments: [String], _ exit: Exit) -> BenchError {
        BenchError("`\(([program] + arguments).joined(separator: " ").prefix(300))` failed (\(exit.status)): "
                   + exit.standardErrorTail.trimmingCharacters(in: .whitespacesAndNewlines).suffix(2000))
    }

    /// Reads `descriptor` to its end in chunks of up to 1 MiB; false when `consume` stopped it.
    private static func readAll(_ descriptor: FileDescriptor, _ program: String,
                                _ consume: (UnsafeRawBufferPointer) -> Bool) throws -> Bool {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            var filled = 0
            while filled < buffer.count {
                let count = read(descriptor.rawValue, buffer.baseAddress! + filled, buffer.count - filled)
                if count > 0 { filled += count } else if count < 0 && errno == EINTR { continue } else if count == 0 { break } else {
                    throw BenchError("cannot read the output of \(program): \(String(cString: strerror(errno)))")
                }
            }
            if filled > 0, !consume(UnsafeRawBufferPointer(rebasing: buffer[..<filled])) { return false }
            if filled < buffer.count { return true }
        }
    }

    /// A new temporary file, already unlinked: it disappears with its last descriptor.
    private static func temporaryFile() throws -> FileDescriptor {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-bench-stderr-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw BenchError("cannot create a temporary file: \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return FileDescriptor(rawValue: descriptor)
    }

    /// The last 8 KiB written to `file`.
    private static func tail(of file: FileDescriptor) -> String {
        let size = lseek(file.rawValue, 0, SEEK_END)
        let start = max(0, size - 8_192)
        var bytes = [UInt8](repeating: 0, count: Int(size - start))
        let count = bytes.withUnsafeMutableBytes { pread(file.rawValue, $0.baseAddress, $0.count, start) }
        return String(decoding: bytes.prefix(max(0, count)), as: UTF8.self)
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now (the system's pick), for a child that
/// serves one: a process group's master, a test server.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw BenchError("cannot open a TCP socket: \(String(cString: strerror(errno)))") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw BenchError("no free TCP port on 127.0.0.1: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
