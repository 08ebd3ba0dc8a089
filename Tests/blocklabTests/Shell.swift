import Foundation
import TestSupport

/// Parses CSV with Python's `csv` module (strict), a parser independent of BlockLab's
/// writer: the records, each a list of cells.
func parseCSV(_ text: String) throws -> [[String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", """
        import csv, io, json, sys
        rows = csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=""), strict=True)
        print(json.dumps(list(rows)))
        """]
    let child = try TestChild(process, input: true)
    child.send(text)
    let result = try child.finish()
    guard result.status == 0 else { throw TestFailure("not valid CSV: \(result.stderr)") }
    guard let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String]] else {
        throw TestFailure("python printed \(result.stdout)")
    }
    return rows
}
