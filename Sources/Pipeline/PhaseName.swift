/// The pipeline's phases, in the order they run. Their raw values are the names the store
/// records (`phases.name`) and the manifest maps to its `phase_results`.
public enum PhaseName: String, CaseIterable, Sendable, Codable {
    case analyse, scrape, tokenize, embed, train, push

    /// The phases whose outputs this one reads.
    public var upstream: [PhaseName] {
        switch self {
        case .analyse, .scrape: []
        case .tokenize: [.scrape]
        case .embed: [.scrape]
        case .train: [.tokenize]
        case .push: [.embed]
        }
    }

    /// The config sections this phase's input hash covers.
    public var configSections: [String] {
        switch self {
        case .analyse: ["repository", "epoch_calculation", "dataset"]
        case .scrape: ["repository", "scrape"]
        case .tokenize: ["tokenizer", "dataset", "epoch_calculation"]
        case .embed: ["embeddings"]
        case .train: ["model", "training", "epoch_calculation", "hardware_monitoring"]
        case .push: ["qdrant"]
        }
    }

    /// Parses `--phases analyse,scrape,...`; an unknown name is an error that lists the phases.
    public static func list(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names where PhaseName(rawValue: name) == nil {
            throw PipelineError("--phases: \(name) is not a phase (phases: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard !names.isEmpty else { throw PipelineError("--phases: name at least one phase (\(allCases.map(\.rawValue).joined(separator: ", ")))") }
        return names
    }
}
