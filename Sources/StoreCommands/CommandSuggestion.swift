import ArgumentParser

/// "Did you mean" for a mistyped command, as git says it: where a subcommand name is
/// expected (`blocklab WORD`, `blocklab bench WORD`), a word that names none is a usage
/// error listing the closest names. ArgumentParser suggests options, not subcommands.
package enum CommandSuggestion {
    /// The error for `arguments` (without the program name) when a word in a subcommand's
    /// place names none of `root`'s subcommands; nil when every such word names one, or an
    /// option comes first (ArgumentParser judges the rest).
    package static func message(for arguments: [String], root: any ParsableCommand.Type) -> CLIError? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, command.configuration.defaultSubcommand == nil,
                  !word.hasPrefix("-"), word != "help" else { return nil }
            if let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) {
                command = next
                path.append(word)
                continue
            }
            let names = subcommands.filter { $0.configuration.shouldDisplay }.map { $0._commandName }
            let here = path.joined(separator: " ")
            var text = "'\(word)' is not a \(here) command."
            let close = closest(to: word, among: names)
            if !close.isEmpty { text += " Did you mean " + close.map { "'\($0)'" }.joined(separator: " or ") + "?" }
            return CLIError(text + "\n  See '\(here) --help' for the commands.", status: .usage)
        }
        return nil
    }

    /// The names nearest `word`: those at the smallest edit distance (a transposition
    /// counts one) when it is at most 1 for names under 5 characters and 2 otherwise, then
    /// those `word` begins (from 2 characters); at most three, nearest first.
    static func closest(to word: String, among names: [String]) -> [String] {
        let typed = word.lowercased()
        let scored = names.map { (name: $0, distance: distance(typed, $0.lowercased())) }
        let near = scored.filter { $0.distance <= ($0.name.count < 5 ? 1 : 2) }
        let best = near.map(\.distance).min()
        var chosen = near.filter { $0.distance == best }.map(\.name).sorted()
        if typed.count >= 2 {
            chosen += names.filter { $0.lowercased().hasPrefix(typed) && !chosen.contains($0) }.sorted()
        }
        return Array(chosen.prefix(3))
    }

    /// The optimal-string-alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours each cost one (`rnus` is one from `runs`).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
