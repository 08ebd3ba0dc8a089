import ExperimentStore
import Foundation

/// `--no-store` for the commands whose library records as it works (`train` logs every step
/// into its run, `embed` saves each vector as it is made): they record into a store in a
/// temporary folder, which `remove()` deletes when the command ends, so nothing reaches the
/// user's store. (A process killed by a signal leaves the folder under the system's temporary
/// folder.)
final class ThrowawayStore {
    let store: ExperimentStore
    private let folder: URL

    init(for command: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-\(command)-no-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try ExperimentStore.open(at: folder.appendingPathComponent("throwaway.db").path, mode: .readWrite)
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}
