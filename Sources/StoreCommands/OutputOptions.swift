import ArgumentParser
import ExperimentStore
import Foundation

/// `--format table|json|csv`, and the printers every data command shares.
///
/// CSV is RFC 4180 (CRLF line ends, quoted where needed) with a header row, and keeps full
/// precision; JSON keys are snake_case. A record that is one object prints as one CSV row
/// whose columns are its fields, nested keys joined by `.` (`printRecord`).
/// `--json` is the older spelling of `--format json`, kept (hidden) so scripts go on working;
/// every command that takes `--format` takes it through these options, so `--json` too.
/// A command whose default is not a table (`export`, `tokenizer encode`) reads `requested`
/// and says its default in its help.
package struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("format"), help: "Output format: table, json or csv (table unless the command says otherwise).")
    var requestedFormat: OutputFormat?
    @Flag(name: .customLong("json"), help: .hidden)
    var jsonFlag = false

    package init() {}

    /// The format asked for with `--format` or `--json`; nil when neither was given.
    package var requested: OutputFormat? { jsonFlag ? .json : requestedFormat }

    package var format: OutputFormat { requested ?? .table }

    package func validate() throws {
        if jsonFlag, let requestedFormat, requestedFormat != .json {
            throw ValidationError("--json means --format json; pass only --format \(requestedFormat.rawValue)")
        }
    }

    /// Prints rows as an aligned table, CSV (RFC 4180), or a JSON array of objects.
    package func print(headers: [String], rows: [[String?]]) {
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
    package func printJSON<T: Encodable>(_ value: T) throws {
        Swift.print(String(decoding: try ExperimentStore.jsonEncoder().encode(value), as: UTF8.self))
    }

    /// Prints one record: `json` as given (a JSON object), CSV as one row of its fields
    /// (`Self.flatten`), a table by `table`.
    /// `leading`: the CSV's first columns, in that order, those the record has.
    package func printRecord(json: Data, leading: [String] = [], table: () -> Void) throws {
        switch format {
        case .table: table()
        case .json:
            let text = String(decoding: json, as: UTF8.self)
            Swift.print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        case .csv:
            var fields = Self.flatten(try JSONValue.parse(json))
            let first = leading.compactMap { name in fields.first { $0.0 == name } }
            fields = first + fields.filter { !leading.contains($0.0) }
            Swift.print(Self.csv(headers: fields.map(\.0), rows: [fields.map(\.1)]), terminator: "")
        }
    }

    /// Prints records, `json` being a JSON array of objects: JSON as given; CSV with one
    /// column per key (`Self.flatten`: nested keys joined by `.`, so `tags.team`), the
    /// `leading` columns first and the rest in the order first seen, a cell left empty where
    /// a record lacks the key; a table by `table`. The CSV's columns are the JSON's keys.
    package func printRecords(json: Data, leading: [String] = [], table: () -> Void) throws {
        switch format {
        case .table: table()
        case .json:
            let text = String(decoding: json, as: UTF8.self)
            Swift.print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        case .csv:
            guard case .array(let records) = try JSONValue.parse(json) else { preconditionFailure("records are a JSON array") }
            let flat = records.map { Self.flatten($0) }
            var columns = leading
            for record in flat { for (column, _) in record where !columns.contains(column) { columns.append(column) } }
            // An object empty in one record and not in another (`tags`) is its keys' columns only.
            let all = columns
            columns.removeAll { column in all.contains { $0.hasPrefix(column + ".") } }
            let rows = flat.map { record in
                let cells = Dictionary(record, uniquingKeysWith: { first, _ in first })
                return columns.map { cells[$0] ?? nil }
            }
            Swift.print(Self.csv(headers: columns, rows: rows), terminator: "")
        }
    }

    /// A JSON value as (column, cell) pairs: an object's keys, nested objects' keys joined
    /// by `.` (`files.chunks`), arrays as compact JSON text, null as an empty cell.
    package static func flatten(_ value: JSONValue, prefix: String = "") -> [(String, String?)] {
        guard case .object(let object) = value, !object.isEmpty else { return [(prefix, cell(value))] }
        return object.keys.sorted().flatMap { key in
            flatten(object[key]!, prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
        }
    }

    /// A JSON value as a CSV cell: text as it is, numbers in full, null empty, the rest JSON.
    package static func cell(_ value: JSONValue) -> String? {
        value == .null ? nil : value.displayText
    }

    package static func table(headers: [String], rows: [[String?]]) -> String {
        let cells = [headers] + rows.map { $0.map { $0 ?? "" } }
        var widths = headers.map(\.count)
        for row in cells { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        // Plain Swift padding and trimming: Foundation's NSString padding and a regular
        // expression per line were a third of `blocklab runs`' time on a 300-run store.
        var out = ""
        for (index, row) in cells.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                if i > 0 { line += "  " }
                line += cell
                if i < row.count - 1, i < widths.count { line += String(repeating: " ", count: max(0, widths[i] - cell.count)) }
            }
            while let last = line.last, last.isWhitespace { line.removeLast() }
            out += line + "\n"
            if index == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }

    package static func csv(headers: [String], rows: [[String?]]) -> String {
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
