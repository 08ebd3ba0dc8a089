import Foundation

/// What an address is, decided from the parsed address (inet_pton), never from how its text
/// begins: `127.evil.com` is a name like any other, `127.0.0.2` is loopback.
enum Address {
    /// True for `localhost`, 127.0.0.0/8, `::1`, and 127.0.0.0/8 written as an IPv4-mapped
    /// IPv6 address (`::ffff:127.0.0.1`): the kernel delivers that one over loopback too.
    /// Brackets around an IPv6 address are allowed.
    static func isLoopback(_ host: String) -> Bool {
        let name = bare(host)
        if name == "localhost" { return true }
        if let v4 = ipv4(name) { return v4[0] == 127 }
        guard let v6 = ipv6(name) else { return false }
        if v6 == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return isIPv4Mapped(v6) && v6[12] == 127
    }

    /// True for the addresses that mean every interface: 0.0.0.0 and `::`.
    static func isWildcard(_ host: String) -> Bool {
        let name = bare(host)
        if let v4 = ipv4(name) { return v4.allSatisfy { $0 == 0 } }
        return ipv6(name)?.allSatisfy { $0 == 0 } ?? false
    }

    static func isIPv6(_ text: String) -> Bool { ipv6(text) != nil }

    /// The addresses of this machine's interfaces as they are now (getifaddrs), as text;
    /// IPv6 link-local addresses are left out (they need a zone, which a Host cannot carry).
    static func interfaceAddresses() -> [String] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var found = [String]()
        var next = first
        while let entry = next {
            next = entry.pointee.ifa_next
            guard let address = entry.pointee.ifa_addr else { continue }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                var v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                guard inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil else { continue }
            case AF_INET6:
                var v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                let bytes = withUnsafeBytes(of: v6) { Array($0) }
                guard !(bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80),
                      inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil else { continue }
            default: continue
            }
            found.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return found
    }

    /// Lower-cased, without the brackets of an IPv6 address (brackets around anything else
    /// are kept, so it parses as no address).
    private static func bare(_ host: String) -> String {
        let name = host.lowercased()
        guard name.hasPrefix("["), name.hasSuffix("]") else { return name }
        let inner = String(name.dropFirst().dropLast())
        return ipv6(inner) != nil ? inner : name
    }

    /// The four bytes of a dotted-quad IPv4 address (glibc's inet_pton takes exactly that form).
    private static func ipv4(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: address) { Array($0) }
    }

    private static func ipv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: address) { Array($0) }
    }

    private static func isIPv4Mapped(_ v6: [UInt8]) -> Bool {
        v6[0..<10].allSatisfy { $0 == 0 } && v6[10] == 0xff && v6[11] == 0xff
    }
}
