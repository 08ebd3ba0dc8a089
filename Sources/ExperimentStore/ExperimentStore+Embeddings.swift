import Foundation
import GRDB

/// One stored embedding: an item (a commit hash) embedded by a model, with its payload.
public struct EmbeddingRecord: Sendable, Equatable {
    public var itemID: String
    public var vector: [Float]
    /// A JSON object, as text (what goes to Qdrant as the point's payload).
    public var payloadJSON: String

    public init(itemID: String, vector: [Float], payloadJSON: String = "{}") {
        self.itemID = itemID
        self.vector = vector
        self.payloadJSON = payloadJSON
    }
}

/// The embeddings one run holds for one model.
public struct EmbeddingSet: Codable, Sendable, Equatable {
    public var runID: Int64
    public var model: String
    public var dimension: Int
    public var count: Int
}

extension ExperimentStore {
    /// Stores `records` for (`runID`, `model`) in one transaction. An item embedded before by
    /// the same model in the same run is replaced, never duplicated. Every vector must have
    /// `dimension` values; they are stored as float32 little-endian BLOBs.
    public func saveEmbeddings(runID: Int64, model: String, dimension: Int, records: [EmbeddingRecord]) throws {
        guard mode == .readWrite else { throw StoreError.invalid("the store \(path) was opened read-only") }
        precondition(records.allSatisfy { $0.vector.count == dimension }, "every vector must have `dimension` values")
        try write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO embeddings (run_id, item_id, model, dimension, vector, payload_json) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, model, item_id) DO UPDATE
                SET dimension = excluded.dimension, vector = excluded.vector, payload_json = excluded.payload_json
                """)
            for record in records {
                try statement.execute(arguments: [runID, record.itemID, model, dimension, Self.blob(record.vector), record.payloadJSON])
            }
        }
    }

    /// The embeddings of `runID` made by `model`, in item order.
    public func embeddings(runID: Int64, model: String) throws -> [EmbeddingRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT item_id, vector, payload_json FROM embeddings WHERE run_id = ? AND model = ? ORDER BY item_id",
                             arguments: [runID, model]).map { row in
                EmbeddingRecord(itemID: row[0], vector: Self.floats(row[1]), payloadJSON: row[2])
            }
        }
    }

    /// The items (commit hashes) `runID` already has vectors of `model` for.
    public func embeddedItems(runID: Int64, model: String) throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT item_id FROM embeddings WHERE run_id = ? AND model = ?", arguments: [runID, model]))
        }
    }

    /// Which models embedded what in `runID` (or in every run when nil), newest run first.
    public func embeddingSets(runID: Int64? = nil) throws -> [EmbeddingSet] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT run_id, model, dimension, COUNT(*) FROM embeddings
                WHERE ?1 IS NULL OR run_id = ?1 GROUP BY run_id, model, dimension ORDER BY run_id DESC, model
                """, arguments: [runID]).map { EmbeddingSet(runID: $0[0], model: $0[1], dimension: $0[2], count: $0[3]) }
        }
    }

    static func blob(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func floats(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }
}
