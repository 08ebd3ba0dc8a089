/// How a scrape reads diffs. The defaults match `git log` (50% rename detection).
public struct ScrapeOptions: Sendable {
    /// Pair deletions and additions into renames (git's default; `--no-renames` turns it off).
    public var detectRenames = true
    /// At most this many candidate files a side for inexact renames (git's `diff.renameLimit`).
    public var renameLimit = 1000
    /// Include each file's patch text (`diff_text`); counts are computed either way.
    public var includePatch = true
    /// Caps on `diff_text`, in UTF-8 bytes: per file and per commit. Cut at a line end.
    public var maxPatchBytesPerFile = 32 * 1024
    public var maxPatchBytesPerCommit = 256 * 1024
    /// Diff workers, each with its own repository handle. Output does not depend on it.
    public var workers = max(1, System.coreCount)
    /// HEAD file chunks: lines per chunk, lines shared by neighbouring chunks, and the
    /// largest file read (bytes); larger and binary files are skipped and counted.
    public var chunkLines = 200
    public var chunkOverlap = 40
    public var maxFileBytes = 1 << 20
    /// Write `files.jsonl` at all (the benchmark times the commit records alone).
    public var includeFileChunks = true

    public init() {}
}

enum System {
    static var coreCount: Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 0 ? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) : 1 }
}

#if canImport(Glibc)
import Glibc
#endif
