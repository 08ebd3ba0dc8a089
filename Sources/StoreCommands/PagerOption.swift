import ArgumentParser

/// `--no-pager`, for the commands whose table output can be long (`runs`, `show`, `metrics`,
/// `compare`, `sql`): without it their output goes through `Pager` when stdout is a terminal.
package struct PagerOption: ParsableArguments {
    @Flag(name: .customLong("no-pager"), help: "Never page the output (it is paged only when stdout is a terminal; see $BLOCKLAB_PAGER).")
    var noPager = false

    package init() {}

    /// Starts the pager unless `--no-pager`; call before printing.
    package func start() {
        if !noPager { Pager.start() }
    }
}
