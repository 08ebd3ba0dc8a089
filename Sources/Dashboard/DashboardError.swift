import ExperimentStore
import Foundation

/// What the dashboard answers when a request cannot be served: an HTTP status and a message
/// that names the problem and the fix. Every error reaches the client as one of these (JSON
/// for `/api/...`, a page otherwise); none becomes a bare 500.
public struct DashboardError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
    public var errorDescription: String? { message }

    static func badRequest(_ message: String) -> DashboardError { .init(status: 400, message) }
    static func notFound(_ message: String) -> DashboardError { .init(status: 404, message) }

    /// The status a store error deserves: the client's mistake (4xx) or the store's state (503).
    static func from(_ error: any Error) -> DashboardError {
        if let error = error as? DashboardError { return error }
        guard let error = error as? StoreError else { return .init(status: 500, "internal error: \(error)") }
        switch error {
        case .runNotFound, .noRuns: return .init(status: 404, error.description)
        case .ambiguousRun, .invalid: return .init(status: 400, error.description)
        case .notFound, .notADatabase, .notABlockLabStore, .corrupt, .damagedWAL, .newerSchema, .busy, .readOnly, .cannotCreate,
             .diskFull, .mergeSourceNotFound, .sqlite:
            return .init(status: 503, error.description)
        case .fileMissing: return .init(status: 404, error.description)
        }
    }
}
