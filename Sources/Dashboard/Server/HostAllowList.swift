import Foundation
import HardwareMonitor
import Synchronization

/// The names a request may address this server by (its `Host`, and the `Origin` of a POST),
/// so that a page on another site whose name was rebound to this machine's address (DNS
/// rebinding) is refused before any handler runs, token or not:
///
/// - always `localhost`, `127.0.0.1`, `[::1]` and the address given to `--host`, each with
///   the bound port (port 80 may be left out, as browsers do);
/// - on any address but loopback, also this machine's host name (and its first label);
/// - on 0.0.0.0 or `::`, also every address of the machine's interfaces, as they are at start;
/// - every `--allow-host` entry: `NAME` with any port (a proxy in front may use its own), or
///   `NAME:PORT` with that port only.
struct HostAllowList: Sendable {
    /// Names that count only with the bound port.
    let ownNames: [String]
    /// The `--host` address, as a name.
    let boundName: String
    let port: Int
    let extra: [HostAndPort]

    init(host: String, port: Int, allowedHosts: [HostAndPort],
         machineName: String = HardwareMonitor.hostName, interfaceAddresses: () -> [String] = Address.interfaceAddresses) {
        boundName = HostAndPort(authority: host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)?.name ?? host.lowercased()
        var names = ["127.0.0.1", "localhost", "::1", boundName]
        if !Address.isLoopback(host) {
            let machine = machineName.lowercased()
            names += [machine, String(machine.prefix { $0 != "." })]
        }
        if Address.isWildcard(host) { names += interfaceAddresses().map { $0.lowercased() } }
        var unique = [String]()
        for name in names where !name.isEmpty && !unique.contains(name) { unique.append(name) }
        ownNames = unique
        self.port = port
        extra = allowedHosts
    }

    /// Whether `host` names this server; a missing port means `defaultPort` (80 for a Host
    /// header over plain HTTP; an Origin brings its own).
    func allows(_ host: HostAndPort, defaultPort: Int = 80) -> Bool {
        let port = host.port ?? defaultPort
        if ownNames.contains(host.name) && port == self.port { return true }
        return extra.contains { $0.name == host.name && ($0.port == nil || $0.port == port) }
    }

    /// The allowed names for messages, which anyone who reaches the port can read: the
    /// loopback names and the bound address as written, the machine's own names and the
    /// `--allow-host` ones only as words, so a refusal tells a stranger nothing new.
    var described: String {
        var parts = [String]()
        for name in ownNames.prefix(4) where Address.isLoopback(name) || name == boundName {
            parts.append(HostAndPort(name: name, port: port).display)
        }
        if ownNames.count > parts.count { parts.append("this machine's host name and addresses") }
        if !extra.isEmpty { parts.append("the --allow-host names") }
        return parts.joined(separator: ", ")
    }

    /// Parses the `--allow-host` values, naming the first that is not a host.
    static func parse(_ values: [String]) throws -> [HostAndPort] {
        try values.map { value in
            guard let host = HostAndPort(authority: value.trimmingCharacters(in: .whitespaces)) else {
                throw DashboardError(status: 400, """
                    --allow-host \(value) is not a host name: give a name or address as a browser's address bar shows it, \
                    with or without a port (dash.example.com, 192.168.1.20:8080, [fd00::1])
                    """)
            }
            return host
        }
    }
}

/// The allow-list once the server is bound: with `--port 0` the port is known only then.
final class BoundHosts: Sendable {
    private let list = Mutex<HostAllowList?>(nil)

    func set(_ value: HostAllowList) { list.withLock { $0 = value } }
    var current: HostAllowList? { list.withLock { $0 } }
}
