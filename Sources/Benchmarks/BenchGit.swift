import ArgumentParser
import Foundation
import GitHistory

/// `blocklab bench git`: on one repository and one set of refs, in one run: BlockLab's scrape
/// (counts only, then with patch text), `git log --numstat` with the same refs and merge
/// handling, and PyDriller (in a venv the benchmark makes) on an even sample of the same commits.
///
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

            var options = ScrapeOptions()
            options.workers = workers
            options.includeFileChunks = false  // git log has no counterpart; commit records only
            // BlockLab and git alternate within each repetition, so both meet the same machine load.
            var times: [String: [Double]] = [:]
            var hashes: [String] = []
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

                    var log: (exit: ChildProcess.Exit, commits: Int)?
                    let git = try await BenchClock.time(children: true) {
                        log = try await Self.gitLog(repo: repo, refs: selection, patch: patch)
                    }
                    guard let log, log.exit.succeeded else {
                        throw BenchError("git log failed on \(repo); the repository may be missing objects")
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

            if let pydriller {
                let stride = max(1, hashes.count / pydrillerCommits)
                let sample = Swift.stride(from: 0, to: hashes.count, by: stride).prefix(pydrillerCommits).map { hashes[$0] }
                let list = work.appendingPathComponent("sample.txt")
                try sample.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
                progress.say("PyDriller on \(sample.count) of the same commits")
                let output = try await ChildProcess.output(pydriller.path, [try PythonPeers.script("git_pydriller.py"), repo, list.path])
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
    /// default), with the metadata the scrape reads; returns how git ended and its commit count.
    static func gitLog(repo: String, refs: RefSelection, patch: Bool) async throws -> (exit: ChildProcess.Exit, commits: Int) {
        var arguments = ["-C", repo, "log", "--numstat", "--diff-merges=first-parent",
                         "--format=%x01%H%x00%P%x00%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"]
        if patch { arguments.append("-p") }
        var count = 0
        let exit = try await ChildProcess.stream("git", arguments + Self.arguments(refs)) { bytes in
            count += bytes.reduce(0) { $1 == 1 ? $0 + 1 : $0 }
            return true
        }
        return (exit, count)
    }
}
