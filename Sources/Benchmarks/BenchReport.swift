import ArgumentParser
import ExperimentStore
import StoreCommands
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

// The one output path of every benchmark: `--format table|json|csv` (part of the shared support).

// MARK: - Output

/// `--format table|json|csv`
public enum BenchFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json, csv
}

/// The output options every benchmark takes. `--json` stays as a hidden alias of `--format json`.
public struct BenchOutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, json or csv.") var format: BenchFormat = .table
    @Flag(name: .long, help: .hidden) var json = false
    @OptionGroup var quiet: QuietOption

    public init() {}

    public func validate() throws {
        if json && format != .table && format != .json {
            throw ValidationError("--json means --format json; pass one of them.")
        }
    }

    /// The chosen format.
    public var chosen: BenchFormat { json ? .json : format }
}

/// One benchmark's result: the figures (one JSON object, with the peers' versions), a table
/// of BlockLab beside each peer with the ratio, and notes printed under the table.
///
///     var report = BenchReport(peers: ["MLflow": "3.17.2"])
///     report.compare("ingest points/s", blocklab: 500_000, peer: "MLflow", 20_000, better: .higher)
///     print(report.render(.table), terminator: "")
public struct BenchReport: Sendable {
    /// Which way is better for a measure; ratios are turned so that above 1 favours BlockLab.
    public enum Better: Sendable { case higher, lower }

    /// A table row: measure, BlockLab's figure, the peer, the peer's figure, the ratio.
    public struct Row: Sendable, Equatable {
        public let measure: String, blocklab: String, peer: String, peerFigure: String, ratio: String
    }

    /// Every number and note the benchmark measured; `--format json` prints this object.
    public var figures: [String: JSONValue] = [:]
    public private(set) var rows: [Row] = []
    /// Lines under the table (table format only; what matters goes into `figures` too).
    public var notes: [String] = []
    /// Peer name to version; shown beside the peer in the table and as `peer_versions` in JSON.
    public let peers: [String: String]

    public init(peers: [String: String]) { self.peers = peers }

    /// A number in `figures`.
    public subscript(key: String) -> Double? {
        get { figures[key]?.number }
        set { figures[key] = newValue.map(JSONValue.double) }
    }

    /// Adds a row of BlockLab beside a peer; a missing figure prints as `-`.
    public mutating func compare(_ measure: String, blocklab: Double?, peer: String, _ peerFigure: Double?,
                                 better: Better, digits: Int = 2) {
        var ratio = "-"
        if let blocklab, let peerFigure, blocklab > 0, peerFigure > 0 {
            ratio = String(format: "%.2fx", better == .higher ? blocklab / peerFigure : peerFigure / blocklab)
        }
        let label = peers[peer].map { "\(peer) \($0)" } ?? peer
        rows.append(Row(measure: measure, blocklab: Self.format(blocklab, digits), peer: label,
                        peerFigure: Self.format(peerFigure, digits), ratio: ratio))
    }

    /// Adds a row with BlockLab's figure alone.
    public mutating func figure(_ measure: String, blocklab: Double?, digits: Int = 2) {
        rows.append(Row(measure: measure, blocklab: Self.format(blocklab, digits), peer: "", peerFigure: "", ratio: ""))
    }

    /// The report in `format`, ending with a newline.
    public func render(_ format: BenchFormat) -> String {
        switch format {
        case .json:
            var object = figures
            if !peers.isEmpty { object["peer_versions"] = .object(peers.mapValues(JSONValue.string)) }
            return JSONValue.object(object).jsonString(pretty: true) + "\n"
        case .csv:
            return ([Self.headers] + cells).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        case .table:
            let all = [Self.headers] + cells
            let widths = Self.headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
            func line(_ row: [String]) -> String {
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression)
            }
            let rule = widths.map { String(repeating: "-", count: $0) }
            return ([line(Self.headers), line(rule)] + cells.map(line) + notes).joined(separator: "\n") + "\n"
        }
    }

    static let headers = ["measure", "BlockLab", "peer", "peer figure", "ratio"]
    private var cells: [[String]] { rows.map { [$0.measure, $0.blocklab, $0.peer, $0.peerFigure, $0.ratio] } }

    static func format(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        return value >= 1000 ? String(Int(value.rounded())) : String(format: "%.\(digits)f", value)
    }

    static func csvField(_ value: String) -> String {
        value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
}

/// A temporary folder for one benchmark run, removed when `body` returns or throws.
