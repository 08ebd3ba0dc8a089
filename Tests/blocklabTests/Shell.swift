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
    process.standardInput = Pipe()
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    try process.run()
    let collector = OutputCollector(process)
    let input = (process.standardInput as! Pipe).fileHandleForWriting
    input.write(Data(text.utf8))
    try input.close()
    process.waitUntilExit()
    let (out, err) = collector.finish()
    guard process.terminationStatus == 0 else { throw TestFailure("not valid CSV: \(err)") }
    guard let rows = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String]] else { throw TestFailure("python printed \(out)") }
    return rows
}
