import ArgumentParser

extension BlockLab {
    /// Subcommands of the dashboard capability: the live web UI and the HTML report.
    static let dashboardCommands: [ParsableCommand.Type] = [UICommand.self, ReportCommand.self]
}
