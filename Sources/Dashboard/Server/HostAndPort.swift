import Foundation

/// A host name or address and a port, as a `Host` header, an `Origin` or `--allow-host` gives
/// them: `example.com:8080`, `127.0.0.1`, `[::1]:8080`. The name is lower-cased, an IPv6
/// address loses its brackets and a trailing dot is dropped, so equal names compare equal.
///
/// Strict on purpose: a name holds letters, digits, `-`, `_` and `.` only, an IPv6 address
/// must parse (inet_pton), a port is 1-65535 in decimal digits. Anything else is not a host.
struct HostAndPort: Hashable, Sendable {
    var name: String
    var port: Int?

    init(name: String, port: Int?) {
        self.name = name
        self.port = port
    }

    /// Parses `name[:port]` or `[ipv6][:port]`; nil when it is not one.
    init?(authority text: String) {
        var name: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            name = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
            guard Address.isIPv6(String(name)) else { return nil }
        } else {
            let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }  // a bare IPv6 address needs brackets
            name = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            if name.hasSuffix(".") { name = name.dropLast() }
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
            guard !name.isEmpty, name.allSatisfy({ allowed.contains($0) }) else { return nil }
        }
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
                  let port = Int(portText), (1...65535).contains(port) else { return nil }
            self.port = port
        }
        self.name = name.lowercased()
    }

    /// Parses an `Origin` header (`http://host[:port]`, no path): the host and the port,
    /// 80 or 443 when the scheme implies it. nil for `null` and anything else.
    init?(origin text: String) {
        let schemes = ["http://": 80, "https://": 443]
        guard let (scheme, defaultPort) = schemes.first(where: { text.lowercased().hasPrefix($0.key) }),
              var host = HostAndPort(authority: String(text.dropFirst(scheme.count))) else { return nil }
        host.port = host.port ?? defaultPort
        self = host
    }

    /// How it is written in a URL: brackets around an IPv6 address, the port when there is one.
    var display: String {
        let shown = name.contains(":") ? "[\(name)]" : name
        return port.map { "\(shown):\($0)" } ?? shown
    }
}
