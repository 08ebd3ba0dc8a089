import ExperimentStore
import Foundation
import TestSupport
import Testing
@testable import Benchmarks

/// `bench cli` on a small store, timing the built `blocklab` binary for real.
@Suite(.serialized) struct BenchCLITests {
    static let binary = BuiltProducts.blocklab

    static func small(_ extra: [String]) -> [String] {
        ["--repeats", "2", "--runs", "3", "--steps", "50", "--keys", "2", "--blocklab", binary] + extra
    }

    /// Every figure is a positive time, the JSON has the figures the note quotes, and the
    /// rows set each BlockLab command beside the floor (and `sql` beside sqlite3).
    @Test func figuresArePositiveAndTheJSONHasItsKeys() async throws {
        let report = try await BenchCLI.parse(Self.small([])).measure()
        for key in ["version_ms", "runs_ms", "sql_ms", "sql_start_ms", "sqlite3_ms", "swift_floor_ms", "spawn_ms"] {
            #expect((report[key] ?? 0) > 0, "\(key): \(String(describing: report[key]))")
        }
        #expect(report["store_points"] == 300)
        let json = try JSONValue.parse(Data(report.render(.json).utf8))
        for key in ["version_ms", "runs_ms", "sql_ms", "sqlite3_ms", "swift_floor_ms", "targets_met"] {
            #expect(json[key] != nil, "\(key) missing")
        }
        guard case .string(let sqlite3)? = json["peer_versions"]?["sqlite3"] else { Issue.record("no sqlite3 version"); return }
        #expect(sqlite3.hasPrefix("3."))
        let table = report.render(.table)
        #expect(table.contains("blocklab --version (ms)") && table.contains("Swift floor swiftc"))
        #expect(table.split(separator: "\n").filter { $0.contains("target <= 2x") }.count == 4, "\(table)")
    }

    /// `--store` is made once and reused; a store of another shape is refused by name.
    @Test func storeIsReusedAndCheckedForShape() async throws {
        let dir = TempDir()
        let path = dir.path + "/cli.db"
        _ = try await BenchCLI.parse(Self.small(["--store", path])).measure()
        #expect(try ExperimentStore.open(at: path, mode: .readOnly).runs().count == 3)
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        _ = try await BenchCLI.parse(Self.small(["--store", path])).measure()
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == modified)

        await #expect { try await BenchCLI.parse(Self.small(["--store", path, "--runs", "4"])).measure() } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("remove it")
        }
        // Same run count, other points per run: the query's count gives it away.
        await #expect { try await BenchCLI.parse(Self.small(["--store", path, "--steps", "51"])).measure() } throws: { error in
            "\(error)".contains("counted 300") && "\(error)".contains("not 306")
        }
    }

    /// Missing tools are named with the fix.
    @Test func missingToolsAreNamed() async throws {
        await #expect { try await BenchCLI.parse(Self.small(["--swiftc", "/nonexistent/swiftc"])).measure() } throws: { error in
            "\(error)".contains("/nonexistent/swiftc") && "\(error)".contains("--swiftc")
        }
        await #expect { try await BenchCLI.parse(Self.small(["--sqlite3", "no-such-sqlite3"])).measure() } throws: { error in
            "\(error)".contains("apt-get install sqlite3")
        }
        await #expect { try await BenchCLI.parse(Self.small(["--blocklab", "/nonexistent/blocklab"])).measure() } throws: { error in
            "\(error)".contains("--blocklab /nonexistent/blocklab")
        }
    }
}
