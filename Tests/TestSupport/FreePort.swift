import Foundation

/// A TCP port on 127.0.0.1 that nothing listens on now (bound to port 0, read back, closed):
/// for a server a test starts, or a "server down" address.
public func freeLoopbackPort() throws -> Int {
    let (fd, port) = try boundLoopbackSocket()
    close(fd)
    return port
}

/// A socket listening on a free port of 127.0.0.1, so that port is in use until the caller
/// closes `fd`: for "the port is taken" cases.
public func listeningLoopbackSocket() throws -> (fd: Int32, port: Int) {
    let (fd, port) = try boundLoopbackSocket()
    guard listen(fd, 4) == 0 else {
        close(fd)
        throw TestFailure("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
    return (fd, port)
}

/// A TCP socket bound to 127.0.0.1 on a port the system picked, and that port.
private func boundLoopbackSocket() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed: \(String(cString: strerror(errno)))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw TestFailure("no free TCP port on 127.0.0.1: \(reason)")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
