import Benchmarks
import DurableFiles
import Embedding
import Foundation
import GitHistory
import Pipeline
import Qdrant
import StoreCommands
import Tokenizer
import Torch
import Training
import Yams

extension ExitStatus {
    /// The status of an error from a module only `blocklab-full` links (the launcher links
    /// the store alone, so these cases cannot live beside `init(for:)`); nil for the rest,
    /// which `ExitStatus(for:)` and then ArgumentParser decide.
    static func ofModuleError(_ error: any Error) -> ExitStatus? {
        switch error {
        case let error as TrainingError:
            switch error {
            case .badConfig: return .config
            case .badDataset, .badCheckpoint: return .dataError
            case .nonFiniteLoss, .memoryLimit, .distributed: return .failure
            }
        case let error as GitHistoryError:
            switch error {
            case .missingPath, .notARepository: return .notFound
            case .emptyRepository: return .dataError
            case .noMatchingRefs: return .usage
            case .git: return .failure
            case .output: return .cannotCreate
            }
        case let error as QdrantError:
            switch error {
            case .badURL: return .usage
            case .unreachable, .unavailable: return .busy
            case .rejected, .collectionMismatch, .badResponse: return .failure
            }
        case let error as TorchError:
            switch error.kind {
            case .invalidArgument: return .internalError
            case .addressInUse: return .busy
            case .outOfMemory, .unreachable, .peerLost, .other: return .failure
            }
        case is TokenizerError, is EmbeddingError, is PipelineError: return .dataError
        case is DurableFileError: return .cannotCreate
        case is YamlError: return .config
        case is BenchError: return .failure
        default: return nil
        }
    }
}
