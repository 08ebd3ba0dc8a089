import ArgumentParser

extension BlockLab {
    /// Subcommands of the training capability (phase 4).
    static let trainingCommands: [ParsableCommand.Type] = [TrainCommand.self, GenerateCommand.self]
}
