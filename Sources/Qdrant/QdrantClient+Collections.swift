import Foundation

/// A collection's single unnamed dense vector: its size and distance.
public struct VectorParams: Sendable, Equatable, CustomStringConvertible {
    public var size: Int
    /// Qdrant's spelling: `Cosine`, `Dot`, `Euclid`, `Manhattan`.
    public var distance: String
    public init(size: Int, distance: String = "Cosine") {
        self.size = size
        self.distance = distance
    }
    public var description: String { "\(size)-dimensional \(distance)" }
}

extension QdrantClient {
    /// The vector parameters of `collection`, or nil when it does not exist.
    public func collectionVectors(_ collection: String) throws(QdrantError) -> VectorParams? {
        let path = "/collections/\(Self.segment(collection))"
        guard let result = try send("GET", path, allowNotFound: true) else { return nil }
        let info = result as? [String: Any]
        let params = (info?["config"] as? [String: Any])?["params"] as? [String: Any]
        guard let vectors = params?["vectors"] as? [String: Any] else {
            throw .badResponse(request: "GET \(path)", detail: "no config.params.vectors")
        }
        guard let size = vectors["size"] as? Int, let distance = vectors["distance"] as? String else {
            // Named vectors ({"name": {"size", "distance"}}): BlockLab writes one unnamed vector.
            return VectorParams(size: 0, distance: "named vectors (\(vectors.keys.sorted().joined(separator: ", ")))")
        }
        return VectorParams(size: size, distance: distance)
    }

    /// Creates `collection` with `vectors` when it is missing; returns whether it did.
    /// An existing collection must have exactly these vector parameters, else
    /// `QdrantError.collectionMismatch`.
    @discardableResult
    public func ensureCollection(_ collection: String, vectors: VectorParams) throws(QdrantError) -> Bool {
        if let existing = try collectionVectors(collection) {
            guard existing == vectors else {
                throw .collectionMismatch(collection: collection, expected: vectors.description, found: existing.description)
            }
            return false
        }
        let body = Self.json(["vectors": ["size": vectors.size, "distance": vectors.distance]])
        do throws(QdrantError) {
            _ = try send("PUT", "/collections/\(Self.segment(collection))", body: body)
            return true
        } catch .rejected(_, 409, _) {
            // Another client created it between our check and our create: check it again.
            try ensureCollection(collection, vectors: vectors)
            return false
        }
    }

    /// Creates a payload index on `field` (`keyword`, `integer`, `float`, `datetime`, ...);
    /// creating an index that exists changes nothing.
    public func createPayloadIndex(collection: String, field: String, schema: String) throws(QdrantError) {
        let body = Self.json(["field_name": field, "field_schema": schema])
        _ = try send("PUT", "/collections/\(Self.segment(collection))/index?wait=true", body: body)
    }

    /// Deletes `collection`; returns false when it did not exist.
    @discardableResult
    public func deleteCollection(_ collection: String) throws(QdrantError) -> Bool {
        let result = try send("DELETE", "/collections/\(Self.segment(collection))", allowNotFound: true)
        return (result as? Bool) ?? false
    }
}
