import ExperimentStore
import Foundation

/// A run's manifest as CSV rows, for `show` and `export`: the manifest's JSON flattened to
/// `section,item,field,value`, one row per value, so that the three first columns are the
/// value's path in the JSON (`jq .section.item.field`):
///
/// - `section` is a top-level key (`run`, `config`, `params`, `metrics`, `phases`, ...);
/// - `item` is the name in the sections keyed by name (`metrics`: the metric key, `params`:
///   the config key, `phase_stats` and `hardware_peaks_by_phase`: the phase, `phase_results`: `phase_0_analyze` ...), the index in the array sections (`phases`,
///   `checkpoints`, `artifacts`, `hardware_peaks_by_rank`), and empty elsewhere;
/// - `field` is the field, nested keys joined by `.` (`tags.team`, `stats.commits`), and
///   empty where the item itself is the value (`params`, the top-level version fields);
/// - `value` is text as it is, numbers in full, arrays as JSON, null as an empty cell.
extension RunManifest {
    static let csvHeaders = ["section", "item", "field", "value"]

    /// Sections that map names to records.
    private static let keyedSections: Set<String> = ["metrics", "params", "phase_stats", "phase_results", "hardware_peaks_by_phase"]
    /// The order sections are printed in; any other follow, sorted.
    private static let sectionOrder = ["manifest_version", "blocklab_version", "generated_at", "run",
                                       "execution_timestamp", "total_execution_time_seconds", "repository_stats",
                                       "training_parameters", "sequence_metadata", "phase_results", "training_report",
                                       "config", "params", "metrics", "phases", "phase_stats", "checkpoints", "artifacts",
                                       "embeddings", "hardware_peaks", "hardware_peaks_by_rank", "hardware_peaks_by_phase"]

    package func csvRows() throws -> [[String?]] {
        guard case .object(let sections) = try JSONValue.parse(try ExperimentStore.jsonEncoder(pretty: false).encode(self)) else {
            return []
        }
        let order = Self.sectionOrder.filter { sections[$0] != nil } + sections.keys.filter { !Self.sectionOrder.contains($0) }.sorted()
        var rows = [[String?]]()
        for section in order {
            let value = sections[section]!
            func add(_ item: String, _ value: JSONValue) {
                rows += OutputOptions.flatten(value).map { [section, item, $0.0, $0.1] }
            }
            switch value {
            case .object(let items) where Self.keyedSections.contains(section):
                for item in items.keys.sorted() { add(item, items[item]!) }
            case .array(let items):
                for (index, item) in items.enumerated() { add(String(index), item) }
            default:
                add("", value)
            }
        }
        return rows
    }
}
