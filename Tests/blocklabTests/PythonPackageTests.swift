import Foundation
import TestSupport
import Testing

/// The `blocklab` Python package's API, run by real Python programs against the built
/// `blocklab`: what each call records, what bad input raises, and how it finds its binary.
@Suite struct PythonPackageTests {
    /// Every call of the API once; the store holds what each said.
    @Test func theAPIRecordsWhatEachCallSays() throws {
        let dir = TempDir()
        try "lr: 0.5\nlayers: 2\n".write(toFile: dir.file("config.yaml"), atomically: true, encoding: .utf8)
        let result = try Python.run("""
            import blocklab, os
            run = blocklab.init(name="api", config={"lr": 3e-4, "model": {"layers": 4}}, tags={"team": "ml"},
                                experiment="python")
            print("ids", type(run.id).__name__, type(run.uuid).__name__, len(run.uuid))
            run.log({"train": {"loss": 2.5, "acc": 0.25}, "lr": 1}, step=10)
            blocklab.log({"train/loss": 2.0})
            os.makedirs("ckpt", exist_ok=True)
            with open("ckpt/model.bin", "wb") as f:
                f.write(b"weights")
            run.log_checkpoint("ckpt/model.bin", step=11, is_best=True, metrics={"train/loss": 2.0})
            run.log_artifact("ckpt", kind="model", name="the model")
            run.tag("data", "v2")
            run.note("first try")
            blocklab.finish()
            rows = blocklab.query("SELECT name, experiment, status FROM runs WHERE id = ?", (run.id,))
            print("query", rows, type(rows[0]["name"]).__name__)
            second = blocklab.init(name="yaml", config="config.yaml")
            second.finish()
            """, in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("ids int str 36"), "\(result.stdout)")
        #expect(result.stdout.contains("query [{'name': 'api', 'experiment': 'python', 'status': 'finished'}] str"), "\(result.stdout)")
        let store = dir.file("s.db")
        #expect(try Python.query(store, """
            SELECT k.key, m.step, m.value FROM metrics m JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = 1 ORDER BY m.step, k.key
            """) == ["lr,10,1.0", "train/acc,10,0.25", "train/loss,10,2.5", "train/loss,11,2.0"])
        #expect(try Python.query(store, "SELECT step, is_best, bytes, format, metrics_json FROM checkpoints")
            == ["11,1,7,bin,\"{\"\"train/loss\"\":2}\""])
        #expect(try Python.query(store, "SELECT kind, name FROM artifacts") == ["model,the model"])
        #expect(try Python.query(store, "SELECT key, value FROM tags WHERE run_id = 1 ORDER BY key") == ["data,v2", "team,ml"])
        #expect(try Python.query(store, "SELECT note FROM runs WHERE id = 1") == ["first try"])
        let configs = try Python.query(store, "SELECT run_id, resolved_json FROM config_snapshots ORDER BY run_id")
        #expect(configs.count == 2)
        #expect(configs.first?.contains("layers") == true && configs.first?.contains("0.0003") == true, "\(configs)")
        #expect(configs.last?.contains("0.5") == true, "\(configs)")
        // What the program printed is the run's console log, at the step reached.
        let log = try CLI.run(["logs", "1", "--store", store, "--format", "csv"])
        #expect(log.stdout.contains(",stdout,,ids int str 36\r\n"), "\(log.stdout)")
    }

    /// A value that is not a number is named and nothing is sent for that call; NaN is kept
    /// as a point whose value is NaN; a config JSON cannot hold is named and starts no run.
    @Test func badInputIsNamedAndNaNIsKept() throws {
        let dir = TempDir()
        let result = try Python.run("""
            import blocklab
            try:
                blocklab.init(name="bad-config", config={"lr": 0.1, "optimizer": {"factory": object()}})
            except TypeError as error:
                print("config:", error)
            run = blocklab.init(name="bad-values")
            try:
                run.log({"train": {"loss": "high"}}, step=0)
            except TypeError as error:
                print("value:", error)
            run.log({"train/loss": float("nan"), "acc": 0.5}, step=1)
            run.log({"acc": float("inf")}, step=2)
            run.finish()
            """, in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("config: blocklab: config key 'optimizer.factory' holds a object"), "\(result.stdout)")
        #expect(result.stdout.contains("value: blocklab: metric 'train/loss' is a str ('high'), not a number"), "\(result.stdout)")
        let store = dir.file("s.db")
        #expect(try Python.query(store, "SELECT name FROM runs") == ["bad-values"])
        #expect(try Python.query(store, """
            SELECT k.key, m.step, COALESCE(m.value, 'NULL') FROM metrics m JOIN metric_keys k ON k.id = m.key_id ORDER BY m.step, k.key
            """) == ["acc,1,0.5", "train/loss,1,NULL", "acc,2,inf"])
        // `metrics` shows the NaN point: null in JSON (which has no NaN), an empty cell in CSV.
        let metrics = try CLI.run(["metrics", "1", "--key", "train/loss", "--store", store, "--format", "csv"])
        #expect(metrics.stdout.hasPrefix("key,step,value,epoch,wall_time\r\ntrain/loss,1,,,"), "\(metrics.stdout)")
    }

    /// No binary, a binary that is not BlockLab's, one that dies and one that never answers:
    /// each is one BlockLabError at init() that says what happened, within init's timeout.
    @Test func aMissingOrDeadBinaryIsOneClearErrorAtInit() throws {
        let dir = TempDir()
        try "#!/bin/sh\necho 'store is on fire' >&2\nexit 3\n".write(toFile: dir.file("dies"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\nsleep 600\n".write(toFile: dir.file("hangs"), atomically: true, encoding: .utf8)
        chmod(dir.file("dies"), 0o755)
        chmod(dir.file("hangs"), 0o755)
        let result = try Python.run("""
            import blocklab, sys
            for binary in ["/nonexistent/blocklab", "dies", "hangs", None]:
                try:
                    blocklab.init(name="x", binary=binary and ("./" + binary if "/" not in binary else binary), timeout=3)
                    print("started with", binary)
                except blocklab.BlockLabError as error:
                    print("error:", error)
            """, in: dir, environment: ["BLOCKLAB_BIN": "", "PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(result.stdout)")
        #expect(lines.first?.hasPrefix("error: blocklab: binary=/nonexistent/blocklab is not an executable file") == true, "\(lines)")
        #expect(lines.dropFirst().first?.contains("exited with status 3 before the run started: store is on fire") == true, "\(lines)")
        #expect(lines.dropFirst(2).first?.contains("did not start a run within 3 s") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("error: blocklab: the blocklab command was not found: put it on PATH or set BLOCKLAB_BIN") == true, "\(lines)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("s.db")))
    }

    /// log() writes into a pipe, not the store: with the store's write lock held by another
    /// connection, 20,000 calls return; the points reach the store once the lock is let go.
    @Test func logNeverWaitsOnTheStore() throws {
        let dir = TempDir()
        let result = try Python.run("""
            import blocklab, sqlite3
            run = blocklab.init(name="locked", flush_interval=0.05)
            holder = sqlite3.connect(run.store, timeout=0, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            for step in range(20000):
                run.log({"loss": 1.0 / (step + 1)}, step=step)
            print("logged while locked", holder.in_transaction, flush=True)
            holder.execute("COMMIT")
            run.finish()
            """, in: dir, within: .seconds(300))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("logged while locked True"), "\(result.stdout)")
        #expect(try Python.query(dir.file("s.db"), "SELECT status, (SELECT COUNT(*) FROM metrics) FROM runs") == ["finished,20000"])
    }

    /// `pip install ./python` into a fresh venv (no index, no dependencies), then a script
    /// run from elsewhere imports the installed package and records a run.
    @Test func pipInstallIntoAFreshVenv() throws {
        let dir = TempDir()
        let venv = dir.file("venv")
        let root = URL(fileURLWithPath: Python.packageRoot).deletingLastPathComponent().path
        let made = try CLI.run(["-m", "venv", venv], executable: Python.system, within: .seconds(300))
        #expect(made.status == 0, "\(made.stderr)")
        let installed = try CLI.run(["install", "--disable-pip-version-check", "--no-index", "./python"],
                                    directory: root, executable: venv + "/bin/pip", within: .seconds(300))
        #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
        let script = """
            import blocklab
            print(blocklab.__file__)
            with blocklab.init(name="installed") as run:
                run.log({"loss": 1.0})
            """
        try script.write(toFile: dir.file("train.py"), atomically: true, encoding: .utf8)
        let ran = try CLI.run([dir.file("train.py")], environment: ["BLOCKLAB_BIN": CLI.binary, "BLOCKLAB_STORE": dir.file("s.db")],
                              directory: dir.path, executable: venv + "/bin/python")
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout.hasPrefix(venv + "/lib/"), "\(ran.stdout)")
        #expect(try Python.query(dir.file("s.db"), "SELECT name, status FROM runs") == ["installed,finished"])
    }
}
