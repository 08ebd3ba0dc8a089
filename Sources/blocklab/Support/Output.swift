import ArgumentParser
import ExperimentStore
import Foundation

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// `--format table|json|csv`, and the printers every data command shares.
///
/// CSV is RFC 4180 (CRLF line ends, quoted where needed) with a header row, and keeps full
/// precision; JSON keys are snake_case. A record that is one object prints as one CSV row
/// whose columns are its fields, nested keys joined by `.` (`printRecord`).
/// `--json` is the older spelling of `--format json`, kept (hidden) so scripts go on working.
struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("format"), help: "Output format: table (the default), json or csv.")
    var requestedFormat: OutputFormat?
    @Flag(name: .customLong("json"), help: .hidden)
    var jsonFlag = false

    var format: OutputFormat { jsonFlag ? .json : requestedFormat ?? .table }

    func validate() throws {
        if jsonFlag, let requestedFormat, requestedFormat != .json {
            throw ValidationError("--json means --format json; pass only --format \(requestedFormat.rawValue)")
        }
    }

    /// Prints rows as an aligned table, CSV (RFC 4180), or a JSON array of objects.
    func print(headers: [String], rows: [[String?]]) {
        switch format {
        case .table: Swift.print(Self.table(headers: headers, rows: rows), terminator: "")
        case .csv: Swift.print(Self.csv(headers: headers, rows: rows), terminator: "")
        case .json:
            let objects: [JSONValue] = rows.map { row in
                .object(Dictionary(uniqueKeysWithValues: zip(headers, row).map { ($0, $1.map(JSONValue.string) ?? .null) }))
            }
            Swift.print(JSONValue.array(objects).jsonString(pretty: true))
        }
    }

    /// Prints any value as pretty JSON with snake_case keys.
    func printJSON<T: Encodable>(_ value: T) throws {
        Swift.print(String(decoding: try ExperimentStore.jsonEncoder().encode(value), as: UTF8.self))
    }

    /// Prints one record: `json` as given (a JSON object), CSV as one row of its fields
    /// (`Self.flatten`), a table by `table`.
    func printRecord(json: Data, table: () -> Void) throws {
        switch format {
        case .table: table()
        case .json:
            let text = String(decoding: json, as: UTF8.self)
            Swift.print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        case .csv:
            let fields = Self.flatten(try JSONValue.parse(json))
            Swift.print(Self.csv(headers: fields.map(\.0), rows: [fields.map(\.1)]), terminator: "")
        }
    }

    /// A JSON value as (column, cell) pairs: an object's keys, nested objects' keys joined
    /// by `.` (`files.chunks`), arrays as compact JSON text, null as an empty cell.
    static func flatten(_ value: JSONValue, prefix: String = "") -> [(String, String?)] {
        guard case .object(let object) = value, !object.isEmpty else { return [(prefix, cell(value))] }
        return object.keys.sorted().flatMap { key in
            flatten(object[key]!, prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
        }
    }

    /// A JSON value as a CSV cell: text as it is, numbers in full, null empty, the rest JSON.
    static func cell(_ value: JSONValue) -> String? {
        value == .null ? nil : value.displayText
    }

    static func table(headers: [String], rows: [[String?]]) -> String {
        let cells = [headers] + rows.map { $0.map { $0 ?? "" } }
        var widths = headers.map(\.count)
        for row in cells { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (index, row) in cells.enumerated() {
            let line = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            out += line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
            if index == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }

    static func csv(headers: [String], rows: [[String?]]) -> String {
        func field(_ value: String?) -> String {
            guard let value else { return "" }
            if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }
        return ([headers] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}

/// How numbers, times and sizes look in tables.
enum Display {
    static func number(_ value: Double?) -> String? {
        guard let value else { return nil }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        let magnitude = abs(value)
        if magnitude >= 1e-3 && magnitude < 1e6 { return String(format: "%.6g", value) }
        return String(format: "%.4e", value)
    }

    static func time(_ seconds: Double?) -> String? {
        guard let seconds else { return nil }
        return Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", (total % 3600) / 60))m"
    }

    static func bytes(_ value: Int64?) -> String? {
        guard let value else { return nil }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var size = Double(value)
        var unit = 0
        while size >= 1024 && unit < units.count - 1 { size /= 1024; unit += 1 }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", size, units[unit])
    }
}
