import ArgumentParser

/// `-q/--quiet`, for every command that prints progress or notices on stderr. Parsing it
/// sets `Console.quiet` for the process (a command line is parsed once per process, and the
/// setting is as process-wide as stderr): errors and warnings still print.
package struct QuietOption: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print no progress or notices on stderr (errors and warnings still print).")
    package var quiet = false

    package init() {}

    package func validate() throws {
        if quiet { Console.quiet = true }
    }
}
