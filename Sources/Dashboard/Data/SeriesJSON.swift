import ExperimentStore
import Foundation

/// JSON for metric series, written by hand: JSONEncoder took ~45 ms to encode the 32,000
/// numbers of one 2,000-bucket series (dynamic casts per element), which is more than the
/// store takes to downsample a 1,000,000-point history. The output is what the store's
/// encoder writes (snake_case keys, nil fields left out), except that a non-finite number,
/// which JSON cannot hold, is written as null.
enum SeriesJSON {
    static func metrics(_ response: DashboardData.MetricsResponse) -> Data {
        var out = "{\"run_id\":\(response.runId),\"series\":["
        for (index, series) in response.series.enumerated() {
            if index > 0 { out += "," }
            write(series, into: &out)
        }
        out += "]}"
        return Data(out.utf8)
    }

    /// The comparison's other parts through the store's encoder, its series by hand.
    static func comparison(_ comparison: DashboardData.Comparison) throws -> Data {
        func encoded<T: Encodable>(_ value: T) throws -> String {
            String(decoding: try ExperimentStore.jsonEncoder(pretty: false).encode(value), as: UTF8.self)
        }
        var out = "{\"runs\":\(try encoded(comparison.runs)),\"comparison\":\(try encoded(comparison.comparison)),"
        out += "\"params\":\(try encoded(comparison.params)),\"series\":{"
        for (index, key) in comparison.series.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            string(key, into: &out)
            out += ":["
            for (position, series) in comparison.series[key]!.enumerated() {
                if position > 0 { out += "," }
                write(series, into: &out)
            }
            out += "]"
        }
        out += "}}"
        return Data(out.utf8)
    }

    static func write(_ series: MetricSeries, into out: inout String) {
        out.reserveCapacity(out.utf8.count + 40 * series.steps.count)
        out += "{\"key\":"
        string(series.key, into: &out)
        out += ",\"steps\":["
        out += series.steps.lazy.map(String.init).joined(separator: ",")
        out += "],\"values\":["
        numbers(series.values, into: &out)
        out += "],\"epochs\":["
        numbers(series.epochs, into: &out)
        out += "],\"wall_times\":["
        numbers(series.wallTimes.map { Optional($0) }, into: &out)
        out += "]"
        if let first = series.firstStep { out += ",\"first_step\":\(first)" }
        if let last = series.lastStep { out += ",\"last_step\":\(last)" }
        out += ",\"downsampled\":\(series.downsampled),\"buckets\":\(series.buckets)}"
    }

    private static func numbers(_ values: [Double?], into out: inout String) {
        for (index, value) in values.enumerated() {
            if index > 0 { out += "," }
            if let value, value.isFinite { out += value.description } else { out += "null" }
        }
    }

    /// A JSON string literal (RFC 8259 escapes).
    static func string(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
