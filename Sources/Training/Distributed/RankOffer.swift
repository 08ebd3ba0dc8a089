import ExperimentStore
import Foundation
import HardwareMonitor
import Torch

/// What each rank brings to the start of a data-parallel run; every rank gathers all of them
/// (`DataParallel.gather`) and checks them the same way (`problems`), so either every rank
/// starts or every rank stops with the same message. Rank 0's offer also carries the choices
/// the others follow (`Lead`): the config, plan and model sizes it resolved (a batch `auto`
/// picked from its RAM, a resumed checkpoint's schedule), so no rank decides those alone.
struct RankOffer: Codable {
    /// Rank 0's choices.
    struct Lead: Codable {
        /// The resolved config (JSON) as rank 0 loaded it.
        var config: String
        var plan: TrainingRunPlan
        var model: GPTConfig
        /// The checkpoint's state when resuming (the weights follow by broadcast).
        var resumed: TrainingState?
        var parentUUID: String?
    }

    var rank: Int
    var host = HardwareMonitor.hostName
    var version = BlockLabVersion.string
    /// libtorch threads this rank trains with.
    var threads: Int?
    /// The resolved config (JSON) this rank was given; nil when it takes rank 0's (a resume
    /// without --config: only rank 0 reads the checkpoint) or could not load one.
    var config: String?
    /// What identifies its dataset (`fingerprint`).
    var dataset: String?
    /// Why this rank cannot start.
    var error: String?
    var lead: Lead?

    /// The dataset's identity: both token files' headers and sizes, and the sha256 that
    /// `blocklab tokenize` wrote into dataset.json, when there is one.
    static func fingerprint(_ data: TrainingData) -> String {
        func describe(_ file: MappedTokenFile) -> String {
            let bytes = (try? FileManager.default.attributesOfItem(atPath: file.url.path)[.size] as? Int) ?? -1
            return "\(file.url.lastPathComponent): \(file.sequenceCount) sequences of \(file.sequenceLength), vocab \(file.header.vocabularySize), \(bytes) bytes"
        }
        var parts = [describe(data.train), describe(data.validation)]
        if let json = FileManager.default.contents(atPath: data.directory.appendingPathComponent("dataset.json").path),
           let manifest = try? JSONSerialization.jsonObject(with: json) as? [String: Any] {
            for part in ["train", "val"] {
                if let sha = (manifest[part] as? [String: Any])?["sha256"] as? String { parts.append("\(part) sha256 \(sha)") }
            }
        }
        return parts.joined(separator: "; ")
    }

    /// Config keys each rank may set for itself: its threads.
    static let perRankKeys: Set<String> = ["training.threads", "training.distributed.rank_threads"]

    /// What stops the run, as seen by every rank alike, except `me`'s own error (which that
    /// rank reports itself): ranks that cannot start, other BlockLab versions, configs or
    /// datasets that differ from rank 0's.
    static func problems(_ offers: [RankOffer], me: Int) -> [String] {
        guard let first = offers.first else { return [] }
        var problems: [String] = []
        for offer in offers {
            let who = "rank \(offer.rank) on \(offer.host)"
            if let error = offer.error {
                if offer.rank != me { problems.append("\(who) could not start: \(error)") }
                continue
            }
            guard offer.rank != 0, first.error == nil else { continue }
            if offer.version != first.version {
                problems.append("\(who) runs BlockLab \(offer.version) and rank 0 runs \(first.version): install the same BlockLab on every node")
            }
            if let mine = offer.config, let lead = first.lead?.config {
                let differences = Self.differences(flatten(lead), flatten(mine))
                if !differences.isEmpty {
                    problems.append("\(who) was started with another config than rank 0: " + differences.map { key, values in
                        "\(key) is \(values.1) there and \(values.0) on rank 0"
                    }.joined(separator: "; ") + ". Start every rank with the same config file and --set flags")
                }
            }
            if let theirs = offer.dataset, let ours = first.dataset, theirs != ours {
                problems.append("\(who) reads another dataset than rank 0 (\(theirs); rank 0: \(ours)): give every node a copy of the same `blocklab tokenize` output")
            }
        }
        return problems
    }

    /// Keys whose values differ, with (rank 0's, theirs); per-rank keys are left out.
    private static func differences(_ a: [String: String], _ b: [String: String]) -> [(String, (String, String))] {
        Set(a.keys).union(b.keys).subtracting(perRankKeys).sorted().compactMap { key in
            a[key] == b[key] ? nil : (key, (a[key] ?? "(absent)", b[key] ?? "(absent)"))
        }
    }

    /// A resolved config's JSON as dotted keys and their JSON text.
    private static func flatten(_ json: String) -> [String: String] {
        guard let value = try? JSONValue.parse(Data(json.utf8)) else { return [:] }
        var out: [String: String] = [:]
        func walk(_ value: JSONValue, _ prefix: String) {
            if case .object(let members) = value, !members.isEmpty {
                for (key, member) in members { walk(member, prefix.isEmpty ? key : prefix + "." + key) }
            } else {
                out[prefix] = value.jsonString()
            }
        }
        walk(value, "")
        return out
    }
}
