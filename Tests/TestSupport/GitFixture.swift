import Foundation

/// A repository of `commits` commits on `main` at `path`, each adding or changing small Swift
/// files (`f0.swift` ... `f6.swift`, `main.swift`), made by git itself through `shell`.
public func makeRepository(at path: String, commits: Int) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var script = "git init -q -b main .\n"
    for i in 0..<commits {
        script += """
            printf 'func f\(i)(x: Int) -> Int {\\n    return x + \(i)\\n}\\n' > f\(i % 7).swift
            printf 'let total = \(i) // step\\n' >> main.swift
            git add -A && git commit -q -m "Change \(i): update f\(i % 7)"

            """
    }
    try shell(script, in: path)
}
