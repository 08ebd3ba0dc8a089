import Foundation

/// The processes a test's child started, read from /proc, so a hung child can be stopped
/// with everything under it (a launcher's ranks, a shell's commands). Foundation starts each
/// child in a process group of its own, but a child may start its own children in theirs.
public enum ProcessTree {
    /// The direct children of `pid` now, from each /proc/N/stat's parent field.
    public static func children(of pid: pid_t) -> [pid_t] {
        var found: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // pid (comm) state ppid ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == pid { found.append(child) }
        }
        return found
    }

    /// Every process under `pid` now: its children, theirs, and so on.
    public static func descendants(of pid: pid_t) -> [pid_t] {
        var all: [pid_t] = [], queue = [pid]
        while let next = queue.popLast() {
            let children = self.children(of: next).filter { !all.contains($0) }
            all += children
            queue += children
        }
        return all
    }

    /// SIGKILL to `pid`, every process under it, and the process groups any of them lead.
    /// The tree is read first, since a killed parent's children move to another parent.
    public static func kill(_ pid: pid_t) {
        for target in [pid] + descendants(of: pid) {
            if getpgid(target) == target { Glibc.kill(-target, SIGKILL) }
            Glibc.kill(target, SIGKILL)
        }
    }
}
