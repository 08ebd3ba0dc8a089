import Foundation

/// One point to upsert: a UUID or unsigned integer id (as text), its vector, and its payload
/// as the text of a JSON object (sent as it is).
public struct QdrantPoint: Sendable, Equatable {
    public var id: String
    public var vector: [Float]
    public var payloadJSON: String
    public init(id: String, vector: [Float], payloadJSON: String = "{}") {
        self.id = id
        self.vector = vector
        self.payloadJSON = payloadJSON
    }
}

/// One hit of a query: id, score (cosine similarity for Cosine collections) and payload.
public struct ScoredPoint: Sendable, Equatable {
    public var id: String
    public var score: Double
    /// The payload as JSON text, or nil when the server sent none.
    public var payloadJSON: String?
}

extension QdrantClient {
    /// Upserts `points` in one request with `wait=true`: when this returns, the points are
    /// stored and searchable. Re-sending the same points changes nothing.
    public func upsert(collection: String, points: [QdrantPoint]) throws(QdrantError) {
        guard !points.isEmpty else { return }
        _ = try send("PUT", "/collections/\(Self.segment(collection))/points?wait=true", body: Self.upsertBody(points))
    }

    /// `{"points": [{"id", "vector", "payload"}, ...]}`, written directly into one byte buffer:
    /// float32 values in their shortest round-tripping form (`Float.description`), payloads as
    /// given, ids as JSON strings or integers. (Three times faster than building a `String`;
    /// JSONSerialization would also widen every float to a longer double.)
    static func upsertBody(_ points: [QdrantPoint]) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(points.count * (points.first.map { $0.vector.count * 12 + $0.payloadJSON.utf8.count + 64 } ?? 0) + 16)
        out.append(contentsOf: #"{"points":["#.utf8)
        for (index, point) in points.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let isInteger = !point.id.isEmpty && point.id.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            out.append(contentsOf: #"{"id":"#.utf8)
            if !isInteger { out.append(UInt8(ascii: "\"")) }
            out.append(contentsOf: point.id.utf8)
            if !isInteger { out.append(UInt8(ascii: "\"")) }
            out.append(contentsOf: #","vector":["#.utf8)
            for (i, value) in point.vector.enumerated() {
                precondition(value.isFinite, "vectors sent to Qdrant must be finite")
                if i > 0 { out.append(UInt8(ascii: ",")) }
                var digits = value.description  // shortest round-trip; a small string, no allocation
                digits.withUTF8 { out.append(contentsOf: $0) }
            }
            out.append(contentsOf: #"],"payload":"#.utf8)
            out.append(contentsOf: point.payloadJSON.utf8)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return Data(out)
    }

    /// The `limit` points nearest to `vector` (`POST /points/query`), best first, with payloads;
    /// with `filter`, only points whose payload satisfies it.
    public func query(collection: String, vector: [Float], limit: Int, filter: QdrantFilter? = nil) throws(QdrantError) -> [ScoredPoint] {
        let path = "/collections/\(Self.segment(collection))/points/query"
        var request: [String: Any] = ["query": vector.map { Double($0) }, "limit": limit, "with_payload": true]
        if let filter, !filter.must.isEmpty { request["filter"] = filter.json }
        let body = Self.json(request)
        let result = try send("POST", path, body: body)
        guard let points = (result as? [String: Any])?["points"] as? [[String: Any]] else {
            throw .badResponse(request: "POST \(path)", detail: "no result.points list")
        }
        var hits: [ScoredPoint] = []
        for point in points {
            guard let score = (point["score"] as? NSNumber)?.doubleValue, let id = point["id"] else {
                throw .badResponse(request: "POST \(path)", detail: "a point lacks id or score")
            }
            let payload = (point["payload"] as? [String: Any]).map { String(decoding: Self.json($0), as: UTF8.self) }
            hits.append(ScoredPoint(id: "\(id)", score: score, payloadJSON: payload))
        }
        return hits
    }
}
