import Foundation
import TestSupport
import Testing

/// `blocklab analyse` and `blocklab scrape` run as a user runs them: exit codes, messages, files.
@Suite struct GitCommandTests {
    @Test func scrapeWritesBothFilesAndRecordsTheRun() throws {
        let repo = TempDir(), out = TempDir()
        try repo.makeRepository()
        let store = out.path + "/blocklab.db"
        let result = try blocklab(["scrape", "--repo", repo.path, "--out", out.path + "/data", "--store", store, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["commits"] as? Int == 2 && summary["commits_with_errors"] as? Int == 0)
        let commits = try String(contentsOfFile: out.path + "/data/commits.jsonl", encoding: .utf8).split(separator: "\n")
        let files = try String(contentsOfFile: out.path + "/data/files.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(commits.count == 2 && files.count == 1)
        #expect(result.stderr.contains("2/2 commits"))
        let sql = try blocklab(["sql", "--store", store, "--format", "csv",
                                "SELECT p.name, p.status FROM phases p ORDER BY p.id"])
        #expect(sql.stdout.contains("analyse,finished") && sql.stdout.contains("scrape,finished"), "\(sql.stdout)\(sql.stderr)")
        let artifacts = try blocklab(["sql", "--store", store, "--format", "csv", "SELECT name FROM artifacts ORDER BY name"])
        #expect(artifacts.stdout.contains("commits.jsonl") && artifacts.stdout.contains("files.jsonl"))
    }

    @Test func analysePrintsJSON() throws {
        let repo = TempDir()
        try repo.makeRepository()
        let result = try blocklab(["analyse", "--repo", repo.path, "--no-store", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(facts["unique_commits"] as? Int == 2 && facts["authors"] as? Int == 1 && facts["is_shallow"] as? Bool == false)
    }

    /// Exit statuses as `blocklab --help` lists them: 66 for no repository, 65 for one
    /// without commits, 64 for a `--refs` that matches nothing.
    @Test func userErrorsExitWithTheirStatusAndTheFix() throws {
        let dir = TempDir()
        let cases: [([String], String)] = [
            (["scrape", "--repo", dir.path + "/missing", "--no-store"], "does not exist"),
            (["scrape", "--repo", dir.path, "--no-store"], "is not a git repository"),
            (["analyse", "--repo", dir.path + "/missing", "--no-store"], "does not exist"),
        ]
        for (arguments, message) in cases {
            let result = try blocklab(arguments)
            #expect(result.status == 66 && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }
        try shell("git init -q empty", in: dir.path)
        let empty = try blocklab(["scrape", "--repo", dir.path + "/empty", "--no-store", "--out", dir.path + "/out"])
        #expect(empty.status == 65 && empty.stderr.contains("has no commits yet"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out/commits.jsonl"))
        let repo = TempDir()
        try repo.makeRepository()
        let glob = try blocklab(["scrape", "--repo", repo.path, "--refs", "refs/heads/release/*", "--no-store", "--out", dir.path + "/out"])
        #expect(glob.status == 64 && glob.stderr.contains("matches no reference") && glob.stderr.contains("refs/heads/main"))
        let badWorkers = try blocklab(["scrape", "--repo", repo.path, "--workers", "0", "--no-store"])
        #expect(badWorkers.status == 64)
    }

    @Test func bareRepositoryScrapes() throws {
        let repo = TempDir(), out = TempDir()
        try repo.makeRepository()
        try shell("git clone -q --bare \(repo.path) \(out.path)/bare.git", in: out.path)
        let result = try blocklab(["scrape", "--repo", out.path + "/bare.git", "--no-store", "--out", out.path + "/data"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 commits (0 with errors)"))
    }
}

/// `blocklab bench git` as a user runs it: one JSON object (`--json` and `--format json`), or CSV.
@Suite struct BenchGitCommandTests {
    @Test func printsOneJSONObjectOrCSV() throws {
        let repo = TempDir()
        try repo.makeRepository()
        let base = ["bench", "git", "--repo", repo.path, "--repeats", "1", "--pydriller-commits", "0"]
        for format in [["--json"], ["--format", "json"]] {
            let result = try blocklab(base + format)
            #expect(result.status == 0, "\(result.stderr)")
            let figures = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(figures["commits"] as? Double == 2 && (figures["missing_objects"] as? [Any])?.isEmpty == true)
            #expect((figures["peer_versions"] as? [String: String])?["git log"]?.isEmpty == false)
            #expect(result.stderr.contains("blocklab bench git:"))
        }
        let csv = try blocklab(base + ["--format", "csv"])
        #expect(csv.status == 0 && csv.stdout.hasPrefix("measure,BlockLab,peer,peer figure,ratio\r\n"), "\(csv.stderr)")
        let missing = try blocklab(["bench", "git", "--repo", repo.path + "/none", "--pydriller-commits", "0"])
        #expect(missing.status == 1 && missing.stderr.contains(repo.path + "/none"), "\(missing.stderr)")
    }
}

extension TempDir {
    /// Two commits on `main` by one author.
    func makeRepository() throws {
        try shell("""
            git init -q -b main .
            printf 'hello\\n' > a.txt && git add a.txt && git commit -q -m "First"
            printf 'hello\\nworld\\n' > a.txt && git commit -qam "Second (#4)"
            """, in: path)
    }
}

struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs this build's `blocklab ARGS` to its end, without $BLOCKLAB_STORE.
func blocklab(_ arguments: [String]) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: BuiltProducts.blocklab)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "BLOCKLAB_STORE")
    process.environment = environment
    let (status, stdout, stderr) = try ChildOutput.collect(process)
    return Outcome(status: status, stdout: stdout, stderr: stderr)
}
