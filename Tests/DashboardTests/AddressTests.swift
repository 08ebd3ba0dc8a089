@testable import Dashboard
import Foundation
import Testing

/// Which names are loopback, how a Host or Origin is read, and which names the allow-list
/// takes: decided from parsed addresses, never from how the text begins.
@Suite struct AddressTests {
    @Test func loopbackIsDecidedFromTheParsedAddress() {
        for host in ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LOCALHOST",
                     "::ffff:127.0.0.1", "[::ffff:127.1.2.3]"] {
            #expect(DashboardServer.isLoopback(host), "\(host)")
        }
        for host in ["127.evil.com", "127.0.0.1.nip.io", "127.0.0.1.", "127.1", "0x7f.0.0.1", "2130706433", "localhost.evil.com",
                     "0.0.0.0", "::", "10.0.0.1", "::ffff:10.0.0.1", "::2", "128.0.0.1", "", "[127.0.0.1]", "evil-localhost"] {
            #expect(!DashboardServer.isLoopback(host), "\(host)")
        }
    }

    @Test func wildcardsAreTheAnyAddresses() {
        #expect(Address.isWildcard("0.0.0.0") && Address.isWildcard("::") && Address.isWildcard("[::]"))
        #expect(!Address.isWildcard("127.0.0.1") && !Address.isWildcard("0.0.0.1") && !Address.isWildcard("localhost"))
    }

    @Test func hostsAndOriginsParseStrictly() {
        #expect(HostAndPort(authority: "Example.COM:8080") == HostAndPort(name: "example.com", port: 8080))
        #expect(HostAndPort(authority: "localhost.") == HostAndPort(name: "localhost", port: nil))
        #expect(HostAndPort(authority: "[::1]:80") == HostAndPort(name: "::1", port: 80))
        #expect(HostAndPort(authority: "[::1]") == HostAndPort(name: "::1", port: nil))
        for bad in ["", ":80", "::1", "[::1", "[nope]:80", "a:b:c", "host:0", "host:65536", "host:8o", "host:", "ho st",
                    "user@host", "host/path", "ho%73t", "host:+80", "[::1]x", "host:٨٠"] {
            #expect(HostAndPort(authority: bad) == nil, "\(bad)")
        }
        #expect(HostAndPort(origin: "http://127.0.0.1:8080") == HostAndPort(name: "127.0.0.1", port: 8080))
        #expect(HostAndPort(origin: "https://dash.example") == HostAndPort(name: "dash.example", port: 443))
        #expect(HostAndPort(origin: "HTTP://localhost") == HostAndPort(name: "localhost", port: 80))
        for bad in ["null", "file://", "http://", "http://host/path", "ftp://host", "http://host:8080/", "127.0.0.1:8080"] {
            #expect(HostAndPort(origin: bad) == nil, "\(bad)")
        }
    }

    @Test func theAllowListHoldsTheServersOwnNamesWithItsPort() {
        let loopback = HostAllowList(host: "127.0.0.1", port: 8080, allowedHosts: [], machineName: "box.lan",
                                     interfaceAddresses: { ["192.168.1.20"] })
        #expect(loopback.allows(HostAndPort(name: "localhost", port: 8080)))
        #expect(loopback.allows(HostAndPort(name: "::1", port: 8080)))
        #expect(!loopback.allows(HostAndPort(name: "localhost", port: nil)))  // port 80
        #expect(!loopback.allows(HostAndPort(name: "box.lan", port: 8080)))  // a loopback server is not reached by the machine's name
        #expect(!loopback.allows(HostAndPort(name: "192.168.1.20", port: 8080)))

        let everywhere = HostAllowList(host: "0.0.0.0", port: 80, allowedHosts: [HostAndPort(name: "dash.example", port: nil)],
                                       machineName: "Box.lan", interfaceAddresses: { ["192.168.1.20", "fd00::1"] })
        for name in ["box.lan", "box", "192.168.1.20", "fd00::1", "0.0.0.0", "127.0.0.1"] {
            #expect(everywhere.allows(HostAndPort(name: name, port: nil)), "\(name)")  // port 80 left out
        }
        #expect(everywhere.allows(HostAndPort(name: "dash.example", port: 9443)))
        #expect(!everywhere.allows(HostAndPort(name: "192.168.1.21", port: 80)))
        // A refusal, which anyone who reaches the port reads, names the machine's names only in words.
        #expect(everywhere.described == "127.0.0.1:80, localhost:80, [::1]:80, 0.0.0.0:80, this machine's host name and addresses, the --allow-host names")
        #expect(loopback.described == "127.0.0.1:8080, localhost:8080, [::1]:8080")

        let oneAddress = HostAllowList(host: "192.168.1.20", port: 8080, allowedHosts: [], machineName: "box",
                                       interfaceAddresses: { ["10.0.0.5"] })
        #expect(oneAddress.allows(HostAndPort(name: "192.168.1.20", port: 8080)) && oneAddress.allows(HostAndPort(name: "box", port: 8080)))
        #expect(!oneAddress.allows(HostAndPort(name: "10.0.0.5", port: 8080)))
    }
}
