import DurableFiles
import Foundation

extension Checkpoint {
    /// The output directory's layout. Checkpoints are directories `OUT/step-NNNNNN`, each
    /// written once (complete, then renamed into place) and only then recorded; `OUT/best`
    /// and `OUT/last` are symbolic links to them, swapped atomically. A directory written
    /// only as a best is deleted when a newer best replaces it (its row stays, as history),
    /// so rows never describe changed files. Opening the folder removes the temporaries of
    /// processes that died mid-write (SIGINT, SIGKILL).
    struct Folder {
        let url: URL
        /// The uuid of the run a resumed run continues.
        let parentUUID: String?
        /// Steps whose directory this run wrote (or recorded as its parent's).
        private var written: Set<Int> = []
        /// The current best's directory when nothing else (a periodic or last checkpoint) keeps it.
        private var bestOnly: URL?

        init(_ url: URL, parentUUID: String?) {
            self.url = url
            self.parentUUID = parentUUID
            DurableFile.removeDebris(in: url)
        }

        func directory(step: Int) -> URL { url.appendingPathComponent(String(format: "step-%06d", step)) }

        /// What the directory of `step` needs.
        enum Disposition {
            /// To be written, then recorded.
            case new
            /// This run wrote and recorded it already.
            case written
            /// The parent's own: a resumed run that ends where it started finds its parent's
            /// directory of this step, the same state, so it is recorded again, not rewritten.
            case parents
        }

        func disposition(of step: Int) -> Disposition {
            if written.contains(step) { return .written }
            if let parentUUID, (try? Checkpoint.readState(from: directory(step: step)))?.runUUID == parentUUID { return .parents }
            return .new
        }

        /// After `step`'s directory is written and recorded: points `best` and `last` at it as
        /// asked, and deletes the previous best-only directory.
        mutating func saved(step: Int, best: Bool, periodic: Bool, last: Bool) throws {
            written.insert(step)
            let dir = directory(step: step)
            if best {
                try DurableFile.link(url.appendingPathComponent("best"), to: dir.lastPathComponent)
                if let previous = bestOnly, previous != dir { try? FileManager.default.removeItem(at: previous) }
                bestOnly = periodic || last ? nil : dir
            }
            if last {
                try DurableFile.link(url.appendingPathComponent("last"), to: dir.lastPathComponent)
                if bestOnly == dir { bestOnly = nil }
            }
        }
    }
}
