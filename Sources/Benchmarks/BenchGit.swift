import ArgumentParser
import Foundation
import GitHistory

/// `blocklab bench git`: on one repository and one set of refs, in one run: BlockLab's scrape
/// (counts only, then with patch text), `git log --numstat` with the same refs and merge
/// handling, and PyDriller (in a venv the benchmark makes) on an even sample of the same commits.
///
/// A repository with missing objects (a partial clone, a damaged copy) is measured too: the
/// missing objects are listed, BlockLab's side reads the repository as it is (the scrape records
/// the commits it cannot diff), and git and PyDriller read a copy in the work folder that
/// borrows the repository's objects and stands a placeholder blob in for each missing one.
/// PyDriller reads that copy always, since it writes its settings into a repository's config.
public struct BenchGit: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "git", abstract: "Benchmark the scrape against git log --numstat and PyDriller on one repository.")

    /// The peer's version the figures are quoted for (scripts/bench/git_pydriller.py).
    static let pinnedPeers = PythonPeers(venv: ".venv-bench-git", requirements: [.init("pydriller", "2.12")])

    @Option(name: .long, help: ArgumentHelp("The git repository (work tree, .git folder, or bare).", valueName: "path"))
    var repo: String
    @Option(name: .long, help: ArgumentHelp("heads (local branches and tags), all (every ref), or comma-separated globs such as 'refs/heads/release/*'.", valueName: "refs"))
    var refs = "heads"
    @Option(help: "Timed repetitions of BlockLab and git log; the median is reported.") var repeats = 3
    @Option(help: "Diff workers (default: all cores).") var workers = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Commits PyDriller reads (an even sample of the scraped ones); 0 skips PyDriller.") var pydrillerCommits = 300
    @Option(help: "Python with pydriller (default: a venv the benchmark makes at .venv-bench-git).") var python: String?
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    public func validate() throws {
        guard repeats >= 1, workers >= 1, pydrillerCommits >= 0 else {
            throw ValidationError("--repeats and --workers must be at least 1, --pydriller-commits at least 0.")
        }
    }

    public func run() async throws {
        print(try await measure().render(output.chosen), terminator: "")
    }

    /// Runs every side and returns the report (nothing printed on stdout).
    func measure() async throws -> BenchReport {
        let progress = BenchProgress("git")
        let selection = RefSelection(argument: refs)
        return try await withWorkDirectory("git") { work in
            let pydriller = pydrillerCommits > 0 ? try await Self.pinnedPeers.prepare(override: python, progress: progress) : nil
            let gitVersion = try await ChildProcess.output("git", ["--version"])
                .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").last.map(String.init)
            var report = BenchReport(peers: ["git log": gitVersion, "PyDriller": pydriller?.versions["pydriller"]].compactMapValues { $0 })
            report["workers"] = Double(workers)
            report["repeats"] = Double(repeats)

            // git's view: missing objects are named, and git reads a copy with placeholders for them.
            progress.say("listing objects the repository lacks (git rev-list --missing=print)")
            let missing = try await Self.missingObjects(repo: repo, refs: selection)
            report.figures["missing_objects"] = .array(missing.map { .string($0) })
            // PyDriller always reads the copy: it writes its own settings into the repository's config.
            if !missing.isEmpty { progress.say("\(missing.count) objects are missing; git and PyDriller read a copy with placeholder blobs for them") }
            let copy = missing.isEmpty && pydriller == nil ? nil
                : try await Self.readableCopy(of: repo, replacing: missing, in: work.appendingPathComponent("readable.git"))
            let gitRepo = missing.isEmpty ? repo : copy!

            var options = ScrapeOptions()
            options.workers = workers
            options.includeFileChunks = false  // git log has no counterpart; commit records only
            // BlockLab and git alternate within each repetition, so both meet the same machine load.
            var times: [String: [Double]] = [:]
            var hashes: [String] = []
            var gitError: String?
            let meter = progress.meter("BlockLab and git log, each with and without patch text", total: 4 * repeats, unit: "runs")
            for repetition in 0..<repeats {
                for patch in [false, true] {
                    options.includePatch = patch
                    let blocklab = try await BenchClock.time {
                        do {
                            let summary = try Scraper(repository: repo, refs: selection, options: options)
                                .write(to: work.appendingPathComponent("scrape"))
                            report["commits_with_errors"] = Double(summary.commitsWithErrors)
                        } catch let error as GitHistoryError { throw BenchError(error.description) }
                    }
                    times[patch ? "blocklab_patch_s" : "blocklab_s", default: []].append(blocklab.wall)
                    times[patch ? "blocklab_patch_cpu_s" : "blocklab_cpu_s", default: []].append(blocklab.cpu)
                    if hashes.isEmpty { hashes = try Self.hashes(in: work.appendingPathComponent("scrape/commits.jsonl")) }
                    meter.update(4 * repetition + (patch ? 2 : 0) + 1)

                    guard gitError == nil else { continue }
                    var log: (exit: ChildProcess.Exit, commits: Int)?
                    let git = try await BenchClock.time(children: true) {
                        log = try await Self.gitLog(repo: gitRepo, refs: selection, patch: patch)
                    }
                    guard let log, log.exit.succeeded else {
                        let why = log?.exit.standardErrorTail.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                        guard !missing.isEmpty else { throw BenchError("git log failed on \(repo): \(why.suffix(2000))") }
                        // Placeholders stand in for blobs only; a missing tree or commit still stops git.
                        gitError = String(why.split(separator: "\n").last ?? "")
                        continue
                    }
                    guard log.commits == hashes.count else {
                        throw BenchError("benchmark check failed: git log printed \(log.commits) commits, BlockLab \(hashes.count)")
                    }
                    times[patch ? "git_log_patch_s" : "git_log_s", default: []].append(git.wall)
                    times[patch ? "git_log_patch_cpu_s" : "git_log_cpu_s", default: []].append(git.cpu)
                    meter.update(4 * repetition + (patch ? 2 : 0) + 2)
                }
            }
            for (key, values) in times { report[key] = median(values) }
            let commits = Double(hashes.count)
            report["commits"] = commits
            report["blocklab_commits_per_s"] = commits / report["blocklab_patch_s"]!
            report["git_log_commits_per_s"] = report["git_log_s"].map { commits / $0 }
            if let gitError { report.figures["git_log_error"] = .string(gitError) }

            if let pydriller {
                let stride = max(1, hashes.count / pydrillerCommits)
                let sample = Swift.stride(from: 0, to: hashes.count, by: stride).prefix(pydrillerCommits).map { hashes[$0] }
                let list = work.appendingPathComponent("sample.txt")
                try sample.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
                progress.say("PyDriller on \(sample.count) of the same commits")
                let output = try await ChildProcess.output(pydriller.path, [try PythonPeers.script("git_pydriller.py"), copy!, list.path])
                let result = try PythonPeers.result(output, peer: "PyDriller")
                guard let seconds = result["seconds"]?.number, let count = result["commits"]?.number, count > 0 else {
                    throw BenchError("PyDriller printed no timing: \(output.suffix(500))")
                }
                report["pydriller_commits"] = count
                report["pydriller_s"] = seconds
                report["pydriller_commits_per_s"] = count / seconds
                report["speedup_vs_pydriller"] = report["blocklab_commits_per_s"]! / (count / seconds)
                if case .array(let failed)? = result["failed"] { report["pydriller_failed_commits"] = Double(failed.count) }
            }

            report.compare("commits/s, commit records with numstat (\(workers) workers)", blocklab: commits / report["blocklab_s"]!,
                           peer: "git log", report["git_log_commits_per_s"], better: .higher, digits: 0)
            report.compare("commits/s, + patch text", blocklab: report["blocklab_commits_per_s"], peer: "git log",
                           report["git_log_patch_s"].map { commits / $0 }, better: .higher, digits: 0)
            report.compare("CPU s, commit records with numstat", blocklab: report["blocklab_cpu_s"], peer: "git log",
                           report["git_log_cpu_s"], better: .lower, digits: 3)
            report.compare("CPU s, + patch text", blocklab: report["blocklab_patch_cpu_s"], peer: "git log",
                           report["git_log_patch_cpu_s"], better: .lower, digits: 3)
            report.compare("commits/s, \(Int(report["pydriller_commits"] ?? 0)) sampled commits, same fields",
                           blocklab: report["blocklab_commits_per_s"], peer: "PyDriller", report["pydriller_commits_per_s"], better: .higher, digits: 1)
            report.notes.append("\(hashes.count) commits, \(Int(report["commits_with_errors"] ?? 0)) recorded with errors; "
                                + "median wall s of \(repeats): BlockLab \(String(format: "%.3f", report["blocklab_s"]!)), "
                                + "git log \(report["git_log_s"].map { String(format: "%.3f", $0) } ?? "-"); "
                                + "targets: ratio >= 1 against git log, >= 20 against PyDriller")
            if let failed = report["pydriller_failed_commits"], failed > 0 {
                report.notes.append("PyDriller could not read \(Int(failed)) of its \(Int(report["pydriller_commits"] ?? 0)) commits (timed all the same)")
            }
            if !missing.isEmpty {
                report.notes.append("missing objects (\(missing.count)): \(missing.prefix(10).joined(separator: " "))\(missing.count > 10 ? " ..." : ""); "
                                    + (gitError.map { "git log cannot read the repository even with placeholders: \($0)" }
                                       ?? "git log and PyDriller read placeholder blobs in their place"))
            }
            return report
        }
    }

    static func hashes(in file: URL) throws -> [String] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
            // Every record starts {"type":"commit","hash":"<40 hex>"
            guard let key = line.range(of: "\"hash\":\"") else { throw BenchError("no hash in \(file.path)") }
            return String(line[key.upperBound...].prefix(40))
        }
    }

    /// git's arguments naming the same refs as the scrape.
    static func arguments(_ refs: RefSelection) -> [String] {
        switch refs {
        case .heads: ["--branches", "--tags"]
        case .all: ["--all"]
        case .globs(let patterns): patterns.map { "--glob=\($0)" }
        }
    }

    /// `git log` over the same refs, merges against their first parent, renames detected (git's
    /// default), with the metadata the scrape reads; returns how git ended and its record count.
    static func gitLog(repo: String, refs: RefSelection, patch: Bool) async throws -> (exit: ChildProcess.Exit, commits: Int) {
        // Fields are split by 0x1f: %w() rewraps from the start of the record and would stop at a NUL.
        // %w(0,1,1) indents every message line, so only the record marker starts a line with 0x01.
        var arguments = ["-C", repo, "log", "--numstat", "--diff-merges=first-parent",
                         "--format=%x01%H%x1f%P%x1f%T%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%w(0,1,1)%B%w(0,0,0)"]
        if patch { arguments.append("-p") }
        var counter = RecordCounter()
        let exit = try await ChildProcess.stream("git", arguments + Self.arguments(refs)) { counter.consume($0); return true }
        return (exit, counter.records)
    }

    /// Counts the records of `git log` output made by `gitLog`: lines that start with 0x01.
    /// Patch lines start with a character git puts there (' ', '+', '-', '\', '@', a header
    /// word), numstat lines with a digit or '-', paths with control characters are quoted,
    /// and every message line is indented, so 0x01 inside a patch or message never counts.
    struct RecordCounter {
        private(set) var records = 0
        private var atLineStart = true

        mutating func consume(_ bytes: UnsafeRawBufferPointer) {
            guard !bytes.isEmpty else { return }
            if atLineStart && bytes[0] == 1 { records += 1 }
            var index = 0
            while let newline = memchr(bytes.baseAddress! + index, 10, bytes.count - index) {
                index = bytes.baseAddress!.distance(to: UnsafeRawPointer(newline)) + 1
                guard index < bytes.count else { break }
                if bytes[index] == 1 { records += 1 }
            }
            atLineStart = bytes[bytes.count - 1] == 10
        }
    }

    /// The objects the refs reach that the repository lacks, as git lists them (no lazy fetch
    /// from a partial clone's promisor remote: `--missing=print` turns it off).
    static func missingObjects(repo: String, refs: RefSelection) async throws -> [String] {
        var lines = LineSplitter()
        var missing: [String] = []
        let exit = try await ChildProcess.stream("git", ["-C", repo, "rev-list", "--objects", "--missing=print"] + arguments(refs)) {
            lines.consume($0) { if $0.first == UInt8(ascii: "?") { missing.append(String(decoding: $0.dropFirst(), as: UTF8.self)) } }
            return true
        }
        guard exit.succeeded else {
            throw BenchError("git cannot read \(repo): \(exit.standardErrorTail.trimmingCharacters(in: .whitespacesAndNewlines).suffix(2000))")
        }
        return missing
    }

    /// A bare repository at `path` that git can read in place of `repo`: it borrows `repo`'s
    /// objects (alternates), holds its refs, HEAD and shallow list, and replaces each missing
    /// object with one placeholder blob (`refs/replace/`). Nothing is written to `repo`, and
    /// the copy has no promisor remote, so git fetches nothing.
    static func readableCopy(of repo: String, replacing missing: [String], in path: URL) async throws -> String {
        func git(_ arguments: [String]) async throws -> String {
            try await ChildProcess.output("git", arguments).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let common = try await git(["-C", repo, "rev-parse", "--path-format=absolute", "--git-common-dir"])
        _ = try await git(["init", "-q", "--bare", path.path])
        try "\(common)/objects\n".write(to: path.appendingPathComponent("objects/info/alternates"), atomically: true, encoding: .utf8)
        let manager = FileManager.default
        for name in ["HEAD", "shallow"] {
            let source = try await git(["-C", repo, "rev-parse", "--path-format=absolute", "--git-path", name])
            guard manager.fileExists(atPath: source) else { continue }
            try? manager.removeItem(at: path.appendingPathComponent(name))
            try manager.copyItem(atPath: source, toPath: path.appendingPathComponent(name).path)
        }
        let text = path.deletingLastPathComponent().appendingPathComponent("placeholder.txt")
        try "BlockLab bench: this object is missing from the repository\n".write(to: text, atomically: true, encoding: .utf8)
        let placeholder = try await git(["-C", path.path, "hash-object", "-w", text.path])
        // packed-refs without a header: git sorts the entries itself when it reads them.
        var packed = try await git(["-C", repo, "for-each-ref", "--format=%(objectname) %(refname)"])
        for object in missing { packed += "\n\(placeholder) refs/replace/\(object)" }
        try (packed + "\n").write(to: path.appendingPathComponent("packed-refs"), atomically: true, encoding: .utf8)
        return path.path
    }

    /// Splits a byte stream into lines, carrying a partial line across chunks.
    struct LineSplitter {
        private var partial: [UInt8] = []

        mutating func consume(_ bytes: UnsafeRawBufferPointer, line: ([UInt8]) -> Void) {
            for byte in bytes {
                if byte == 10 { line(partial); partial.removeAll(keepingCapacity: true) } else { partial.append(byte) }
            }
        }
    }
}
