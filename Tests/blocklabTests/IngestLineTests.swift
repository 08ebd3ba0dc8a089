import Foundation
import TestSupport
import Testing

/// The lines `blocklab ingest` is given as they come from real programs: one that never
/// ends, bytes that are not UTF-8, CRLF line ends.
@Suite struct IngestLineTests {
    private func query(_ store: String, _ sql: String) throws -> [[String]] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return try parseCSV(result.stdout).dropFirst().map { $0 }
    }

    /// 200 MiB without a newline: reported once as longer than 16 MiB, its bytes dropped as
    /// they come (the process never holds them: its peak RSS stays far below), and the run
    /// goes on with the next line and finishes.
    @Test func aLineThatNeverEndsIsReportedAndTheRunGoesOn() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let process = CLI.start(["ingest", "--store", store, "--name", "endless"])
        try process.run()
        let output = OutputCollector(process)
        let input = try #require(process.standardInput as? Pipe).fileHandleForWriting
        input.write(Data("{\"step\": 0, \"loss\": 1}\n".utf8))
        let chunk = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<200 { input.write(chunk) }
        // Read while ingest still runs: the most it ever held in memory.
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let peak = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }, "\(status)")
        let peakKiB = try #require(Int(peak.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]), "\(peak)")
        input.write(Data("\n{\"step\": 1, \"loss\": 2}\n".utf8))
        try input.close()
        let (_, err) = try output.finish()
        #expect(process.terminationStatus == 0, "\(err)")
        #expect(peakKiB < 120 * 1024, "peak RSS \(peakKiB) KiB while 200 MiB went by without a newline")
        #expect(err.contains("line 2: longer than 16 MiB without a newline (not passed on); skipped"), "\(err)")
        #expect(err.contains("2 points, 0 other records, 1 malformed lines skipped"), "\(err)")
        #expect(try query(store, "SELECT step, value FROM metric_history") == [["0", "1.0"], ["1", "2.0"]])
        #expect(try query(store, "SELECT status FROM runs") == [["finished"]])
    }

    /// A line just under the limit is read; one just over it is not (the limit is exact).
    @Test func theLimitIsSixteenMiB() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let limit = 16 << 20
        func record(_ step: Int, length: Int) -> String {
            let head = "{\"step\": \(step), \"loss\": 1, \"pad\": \""
            return head + String(repeating: "p", count: length - head.utf8.count - 2) + "\"}"
        }
        let stdin = record(0, length: limit) + "\n" + record(1, length: limit + 1) + "\n"
        let result = try CLI.run(["ingest", "--store", store, "--name", "edge"], stdin: stdin)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("line 2: longer than 16 MiB"), "\(result.stderr)")
        #expect(!result.stderr.contains("line 1: longer"), "\(result.stderr)")
        #expect(try query(store, "SELECT step FROM metric_history WHERE key = 'loss'") == [["0"]])
    }

    /// Bytes that are not UTF-8 inside a record read as U+FFFD; a command's other lines are
    /// passed on byte for byte.
    @Test func bytesThatAreNotUTF8() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        var bytes = Data("{\"type\": \"tag\", \"key\": \"owner\", \"value\": \"caf".utf8) + Data([0xE9]) + Data("\"}\n".utf8)
        bytes += Data("{\"step\": 3, \"lo".utf8) + Data([0xFF, 0xFE]) + Data("ss\": 4}\n".utf8)
        let raw = dir.file("raw.bin")
        try bytes.write(to: URL(fileURLWithPath: raw))
        let logged = try runCapturingBytes(["ingest", "--store", store, "--name", "latin1"], stdin: raw)
        #expect(logged.status == 0 && logged.stderr.contains("0 malformed lines"), "\(logged.stderr)")
        let script = "cat '\(raw)'; printf 'plain \\377\\376 text\\r\\n'"
        let wrapped = try runCapturingBytes(["ingest", "--store", store, "--name", "wrapped", "--", "/bin/sh", "-c", script])
        #expect(wrapped.status == 0, "\(wrapped.stderr)")
        #expect(wrapped.stdout == Data("plain ".utf8) + Data([0xFF, 0xFE]) + Data(" text\n".utf8), "passed on as they were, CR dropped: \(Array(wrapped.stdout))")
        #expect(try query(store, "SELECT r.name, t.value FROM tags t JOIN runs r ON r.id = t.run_id ORDER BY r.id")
                == [["latin1", "caf\u{FFFD}"], ["wrapped", "caf\u{FFFD}"]])
        #expect(try query(store, "SELECT r.name, m.key, m.value FROM metric_history m JOIN runs r ON r.id = m.run_id ORDER BY r.id")
                == [["latin1", "lo\u{FFFD}\u{FFFD}ss", "4.0"], ["wrapped", "lo\u{FFFD}\u{FFFD}ss", "4.0"]])
    }

    /// CRLF line ends: records read as with LF, lines passed on without the CR.
    @Test func crlfLineEnds() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let records = "{\"step\": 1, \"loss\": 0.5}\r\n{\"type\": \"tag\", \"key\": \"os\", \"value\": \"windows\"}\r\nnot json\r\n{\"step\": 2, \"loss\": 0.25}\r\n"
        let logged = try CLI.run(["ingest", "--store", store, "--name", "crlf"], stdin: records)
        #expect(logged.status == 0, "\(logged.stderr)")
        #expect(logged.stderr.contains("line 3: not a JSON object; skipped") && logged.stderr.contains("2 points, 1 other records, 1 malformed"),
                "\(logged.stderr)")
        #expect(try query(store, "SELECT step, value FROM metric_history") == [["1", "0.5"], ["2", "0.25"]])
        let raw = dir.file("crlf.txt")
        try records.write(toFile: raw, atomically: true, encoding: .utf8)
        let wrapped = try runCapturingBytes(["ingest", "--store", store, "--name", "wrapped", "--", "/bin/cat", raw])
        #expect(wrapped.status == 0, "\(wrapped.stderr)")
        #expect(wrapped.stdout == Data("not json\n".utf8), "\(String(decoding: wrapped.stdout, as: UTF8.self).debugDescription)")
        #expect(try query(store, "SELECT value FROM tags WHERE key = 'os'") == [["windows"], ["windows"]])
    }

    /// Runs `blocklab ARGS` with the file `stdin` (or nothing) as its input; stdout as bytes.
    private func runCapturingBytes(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = CLI.start(arguments)
        if let stdin { process.standardInput = try #require(FileHandle(forReadingAtPath: stdin)) }
        try process.run()
        let output = OutputCollector(process)
        if stdin == nil { try (process.standardInput as? Pipe)?.fileHandleForWriting.close() }
        let (out, err) = try output.finishData()
        return (process.terminationStatus, out, err)
    }
}
