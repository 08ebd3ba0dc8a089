import ArgumentParser
import Foundation
import GitHistory

/// `blocklab bench git`: on one repository and one set of refs, in one run: BlockLab's scrape
/// (counts only, then with patch text), `git log --numstat` with the same refs and merge
/// handling, and PyDriller (in a venv the benchmark makes) on an even sample of the same commits.
struct BenchGitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git", abstract: "Benchmark the scrape against git log --numstat and PyDriller on one repository.")

    @OptionGroup var source: RepositoryOptions
    @Option(help: "Timed repetitions of BlockLab and git log; the median is reported.") var repeats = 3
    @Option(help: "Diff workers (default: all cores).") var workers = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Commits PyDriller reads (an even sample of the scraped ones); 0 skips PyDriller.") var pydrillerCommits = 300
    @Option(help: "Python with pydriller (default: a venv the benchmark makes at .venv-bench-git).") var python: String?
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard repeats >= 1, workers >= 1, pydrillerCommits >= 0 else {
            throw ValidationError("--repeats and --workers must be at least 1, --pydriller-commits at least 0.")
        }
    }

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-git-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var figures: [String: Double] = ["workers": Double(workers), "repeats": Double(repeats)]

        var options = ScrapeOptions()
        options.workers = workers
        options.includeFileChunks = false  // git log has no counterpart; commit records only
        // BlockLab and git alternate within each repetition, so both meet the same machine load.
        var times: [String: [Double]] = [:]
        var hashes: [String] = []
        for _ in 0..<repeats {
            for patch in [false, true] {
                options.includePatch = patch
                gitBenchProgress("BlockLab scrape\(patch ? " with patch text" : "")")
                let blocklab = try measure(children: false) {
                    let summary = try Scraper(repository: source.repo, refs: source.selection, options: options)
                        .write(to: work.appendingPathComponent("scrape"))
                    figures["commits_with_errors"] = Double(summary.commitsWithErrors)
                }
                times[patch ? "blocklab_patch_s" : "blocklab_s", default: []].append(blocklab.wall)
                times[patch ? "blocklab_patch_cpu_s" : "blocklab_cpu_s", default: []].append(blocklab.cpu)
                if hashes.isEmpty { hashes = try Self.hashes(in: work.appendingPathComponent("scrape/commits.jsonl")) }

                gitBenchProgress("git log --numstat\(patch ? " -p" : "")")
                var result: (status: Int32, commits: Int) = (0, 0)
                let git = try measure(children: true) {
                    result = try Self.gitLog(repo: source.repo, refs: source.selection, patch: patch)
                }
                guard result.status == 0 else { throw CLIError("git log failed (exit \(result.status)) on \(source.repo); the repository may be missing objects") }
                guard result.commits == hashes.count else { throw CLIError("benchmark check failed: git log printed \(result.commits) commits, BlockLab \(hashes.count)") }
                times[patch ? "git_log_patch_s" : "git_log_s", default: []].append(git.wall)
                times[patch ? "git_log_patch_cpu_s" : "git_log_cpu_s", default: []].append(git.cpu)
            }
        }
        for (key, values) in times { figures[key] = medianOf(values) }
        let commits = Double(hashes.count)
        figures["commits"] = commits
        figures["blocklab_commits_per_s"] = commits / figures["blocklab_patch_s"]!
        figures["git_log_commits_per_s"] = commits / figures["git_log_s"]!

        if pydrillerCommits > 0 {
            let python = try self.python ?? GitBenchPython.ensure(at: ".venv-bench-git", packages: ["pydriller"], importing: "pydriller")
            let stride = max(1, hashes.count / pydrillerCommits)
            let sample = Swift.stride(from: 0, to: hashes.count, by: stride).prefix(pydrillerCommits).map { hashes[$0] }
            let list = work.appendingPathComponent("sample.txt")
            try sample.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
            let script = work.appendingPathComponent("pydriller_bench.py")
            try Self.pydrillerScript.write(to: script, atomically: true, encoding: .utf8)
            gitBenchProgress("PyDriller on \(sample.count) of the same commits")
            let result = try GitBenchPython.run(python, [script.path, source.repo, list.path])
            guard let data = result.last.map({ Data($0.utf8) }),
                  let object = try JSONSerialization.jsonObject(with: data) as? [String: Double],
                  let seconds = object["seconds"], let count = object["commits"], count > 0 else {
                throw CLIError("PyDriller printed no result: \(result.joined(separator: "\n"))")
            }
            figures["pydriller_commits"] = count
            figures["pydriller_s"] = seconds
            figures["pydriller_commits_per_s"] = count / seconds
            figures["speedup_vs_pydriller"] = figures["blocklab_commits_per_s"]! / (count / seconds)
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        func f(_ key: String, _ digits: Int = 3) -> String { figures[key].map { String(format: "%.\(digits)f", $0) } ?? "-" }
        print(OutputOptions.table(headers: ["tool", "what", "wall s", "cpu s", "commits/s"], rows: [
            ["BlockLab", "commit records, numstat (\(workers) workers)", f("blocklab_s"), f("blocklab_cpu_s"), String(format: "%.0f", commits / figures["blocklab_s"]!)],
            ["BlockLab", "+ patch text", f("blocklab_patch_s"), f("blocklab_patch_cpu_s"), f("blocklab_commits_per_s", 0)],
            ["git log", "--numstat", f("git_log_s"), f("git_log_cpu_s"), f("git_log_commits_per_s", 0)],
            ["git log", "--numstat -p", f("git_log_patch_s"), f("git_log_patch_cpu_s"), String(format: "%.0f", commits / figures["git_log_patch_s"]!)],
            ["PyDriller", "\(f("pydriller_commits", 0)) sampled commits, same fields", f("pydriller_s"), "-", f("pydriller_commits_per_s", 1)],
        ]), terminator: "")
        print("\(hashes.count) commits; BlockLab/git log time \(String(format: "%.2f", figures["blocklab_s"]! / figures["git_log_s"]!)) (target <= 1); "
              + "BlockLab/PyDriller rate \(f("speedup_vs_pydriller", 1))x (target >= 20)")
    }

    /// Wall and CPU (user + system) seconds of `body`: this process's, or its children's.
    func measure(children: Bool, _ body: () throws -> Void) throws -> (wall: Double, cpu: Double) {
        func cpu() -> Double {
            var usage = rusage()
            getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        let (startCPU, start) = (cpu(), Date())
        do { try body() } catch let error as GitHistoryError { throw CLIError(error.description) }
        return (Date().timeIntervalSince(start), cpu() - startCPU)
    }

    static func hashes(in file: URL) throws -> [String] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
            // Every record starts {"type":"commit","hash":"<40 hex>"
            guard let key = line.range(of: "\"hash\":\"") else { throw CLIError("no hash in \(file.path)") }
            return String(line[key.upperBound...].prefix(40))
        }
    }

    /// `git log` over the same refs, merges against their first parent, renames detected (git's
    /// default), with the metadata the scrape reads; returns the exit status and commit count.
    static func gitLog(repo: String, refs: RefSelection, patch: Bool) throws -> (Int32, Int) {
        var arguments = ["-C", repo, "log", "--numstat", "--diff-merges=first-parent",
                         "--format=%x01%H%x00%P%x00%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"]
        if patch { arguments.append("-p") }
        switch refs {
        case .heads: arguments += ["--branches", "--tags"]
        case .all: arguments.append("--all")
        case .globs(let patterns): arguments += patterns.map { "--glob=\($0)" }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var count = 0
        let reader = pipe.fileHandleForReading
        while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty {
            count += chunk.reduce(0) { $1 == 1 ? $0 + 1 : $0 }
        }
        process.waitUntilExit()
        return (process.terminationStatus, count)
    }

    /// PyDriller computing what a BlockLab record holds: metadata, the local branches
    /// containing the commit, totals, and per file its paths, change type, counts and diff.
    static let pydrillerScript = #"""
    import json, sys, time
    from pydriller import Git

    repo, sample = sys.argv[1], open(sys.argv[2]).read().split()
    git = Git(repo)
    start = time.perf_counter()
    lines = 0
    for h in sample:
        c = git.get_commit(h)
        _ = (c.hash, c.msg, c.author.name, c.author.email, c.author_date, c.author_timezone,
             c.committer.name, c.committer.email, c.committer_date, c.committer_timezone,
             c.parents, c.merge, c.branches, c.insertions, c.deletions, c.files)
        for m in c.modified_files:
            lines += m.added_lines + m.deleted_lines
            _ = (m.new_path, m.old_path, m.change_type, m.diff)
    print(json.dumps({"commits": len(sample), "seconds": time.perf_counter() - start, "lines": lines}))
    """#
}

/// A Python virtual environment with the packages a benchmark's peer needs.
enum GitBenchPython {
    /// Returns the venv's python, creating the venv and installing `packages` from PyPI when
    /// `import module` fails.
    static func ensure(at path: String, packages: [String], importing module: String) throws -> String {
        let python = (path as NSString).appendingPathComponent("bin/python")
        if FileManager.default.isExecutableFile(atPath: python), (try? run(python, ["-c", "import \(module)"])) != nil {
            return python
        }
        gitBenchProgress("creating \(path) with \(packages.joined(separator: ", ")) (PyPI)")
        _ = try run("/usr/bin/python3", ["-m", "venv", path])
        _ = try run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + packages)
        return python
    }

    /// Runs a program and returns its stdout lines; a non-zero exit throws with its stderr.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("\(program) \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self).suffix(2000))")
        }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

private func gitBenchProgress(_ line: String) {
    FileHandle.standardError.write(Data("blocklab bench git: \(line)\n".utf8))
}

private func medianOf(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
