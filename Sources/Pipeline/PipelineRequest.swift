import Foundation

/// What `blocklab pipeline` asks for: a repository, the loaded config, and where outputs go.
public struct PipelineRequest: Sendable {
    /// The git repository (work tree, .git folder, or bare).
    public var repository: String
    /// The config as loaded (file, profile, `--set`, the command's flags); `PipelineRunner`
    /// resolves what is left `auto` before the run is recorded.
    public var config: PipelineConfig
    /// The config file's text as given (nil: defaults only), kept in the run's snapshot.
    public var yaml: String?
    /// The run's folder; nil = `output.directory/<name>-<run id>`.
    public var outDirectory: String?
    public var commandLine: [String] = CommandLine.arguments
    /// Test hook: training stops as killed after this many steps.
    public var stopTrainingAfterSteps: Int?

    public init(repository: String, config: PipelineConfig, yaml: String?, outDirectory: String? = nil) {
        self.repository = repository
        self.config = config
        self.yaml = yaml
        self.outDirectory = outDirectory
    }
}
