import Foundation
import Qdrant
import QdrantTestSupport
import Testing

extension Tag {
    /// Tests that start the Python Qdrant test server.
    @Tag static var server: Self
}

/// The client against Qdrant's engine behind its REST contract (see QdrantTestSupport).
@Suite(.tags(.server)) struct QdrantClientTests {
    static let fastRetry = RetryPolicy(attempts: 4, baseDelay: 0.01, maxDelay: 0.05)

    static func unit(_ values: [Float]) -> [Float] {
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / norm }
    }

    @Test func createsCollectionOnceAndRefusesAnotherSize() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: Self.fastRetry)
        #expect(try client.collectionVectors("commits") == nil)
        #expect(try client.ensureCollection("commits", vectors: VectorParams(size: 4)) == true)
        #expect(try client.ensureCollection("commits", vectors: VectorParams(size: 4)) == false)
        #expect(try client.collectionVectors("commits") == VectorParams(size: 4, distance: "Cosine"))
        #expect(throws: QdrantError.collectionMismatch(collection: "commits", expected: "8-dimensional Cosine", found: "4-dimensional Cosine")) {
            try client.ensureCollection("commits", vectors: VectorParams(size: 8))
        }
        #expect(throws: QdrantError.self) { try client.ensureCollection("commits", vectors: VectorParams(size: 4, distance: "Dot")) }
        try client.createPayloadIndex(collection: "commits", field: "author", schema: "keyword")
        try client.createPayloadIndex(collection: "commits", field: "time", schema: "datetime")
    }

    @Test func upsertThenQueryReturnsNearestWithPayload() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: Self.fastRetry)
        try client.ensureCollection("c", vectors: VectorParams(size: 3))
        let points = [
            QdrantPoint(id: PointID.uuid5("a"), vector: Self.unit([1, 0, 0]), payloadJSON: #"{"hash":"a","subject":"first"}"#),
            QdrantPoint(id: PointID.uuid5("b"), vector: Self.unit([0, 1, 0]), payloadJSON: #"{"hash":"b","subject":"second"}"#),
            QdrantPoint(id: PointID.uuid5("c"), vector: Self.unit([1, 1, 0]), payloadJSON: #"{"hash":"c","subject":"third"}"#),
        ]
        try client.upsert(collection: "c", points: points)
        let hits = try client.query(collection: "c", vector: Self.unit([1, 0.1, 0]), limit: 2)
        #expect(hits.map(\.id) == [PointID.uuid5("a"), PointID.uuid5("c")])
        #expect(abs(hits[0].score - Double(Self.unit([1, 0.1, 0])[0])) < 1e-5)
        let payload = try JSONSerialization.jsonObject(with: Data(hits[0].payloadJSON!.utf8)) as? [String: String]
        #expect(payload == ["hash": "a", "subject": "first"])
    }

    /// Point ids are content-derived, so sending the same points again leaves one copy each.
    @Test func reUpsertIsIdempotent() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: Self.fastRetry)
        try client.ensureCollection("c", vectors: VectorParams(size: 2))
        let points = (0..<10).map { QdrantPoint(id: PointID.uuid5("\($0)"), vector: Self.unit([1, Float($0)]), payloadJSON: "{}") }
        try client.upsert(collection: "c", points: points)
        try client.upsert(collection: "c", points: points)
        #expect(try client.query(collection: "c", vector: [1, 0], limit: 100).count == 10)
    }

    @Test func missingAPIKeyIs401AndNeverEchoed() throws {
        let server = try QdrantTestServer(apiKey: "s3cr3t-key")
        let anonymous = try QdrantClient(url: server.url, retry: Self.fastRetry)
        do {
            try anonymous.ensureCollection("c", vectors: VectorParams(size: 2))
            Issue.record("expected a 401")
        } catch {
            guard case .rejected(_, let status, let message) = error else { Issue.record("got \(error)"); return }
            #expect(status == 401)
            #expect(message.contains("Must provide an API key"))
        }
        let wrong = try QdrantClient(url: server.url, apiKey: "not-the-key", retry: Self.fastRetry)
        do {
            try wrong.ensureCollection("c", vectors: VectorParams(size: 2))
            Issue.record("expected a 403")
        } catch {
            #expect(!"\(error)".contains("not-the-key"))
            #expect("\(error)".contains("--api-key-env"))
        }
        #expect(try server.requests().count == 2, "auth failures are not retried")
        let client = try QdrantClient(url: server.url, apiKey: "s3cr3t-key", retry: Self.fastRetry)
        #expect(try client.ensureCollection("c", vectors: VectorParams(size: 2)))
    }

    @Test func serverDownRetriesThenNamesTheServer() throws {
        let url = "http://127.0.0.1:\(try closedLocalPort())"
        let client = try QdrantClient(url: url, timeouts: HTTPTimeouts(connect: 2, total: 5), retry: Self.fastRetry)
        do {
            _ = try client.collectionVectors("c")
            Issue.record("expected the server to be unreachable")
        } catch {
            guard case .unreachable(let reported, let attempts, _) = error else { Issue.record("got \(error)"); return }
            #expect(reported == url && attempts == 4)
            #expect("\(error)".contains("cannot reach Qdrant at \(url) after 4 attempts"))
        }
        #expect(client.attemptCount == 4)
    }

    @Test func serverErrorsAreRetriedUntilSuccess() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: Self.fastRetry)
        try client.ensureCollection("c", vectors: VectorParams(size: 2))
        try server.reset()
        try server.addFault(method: "PUT", path: "/collections/c/points", status: 500, count: 2)
        try client.upsert(collection: "c", points: [QdrantPoint(id: "1", vector: [1, 0])])
        #expect(try server.requests().map(\.status) == [500, 500, 200])
        #expect(try client.query(collection: "c", vector: [1, 0], limit: 5).map(\.id) == ["1"])
    }

    @Test func persistentServerErrorsGiveUpAfterTheLastAttempt() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: Self.fastRetry)
        try server.addFault(path: "/collections", status: 503, count: 100, error: "Service unavailable: overloaded")
        #expect(throws: QdrantError.unavailable(request: "GET /collections/c", status: 503, attempts: 4, message: "Service unavailable: overloaded")) {
            _ = try client.collectionVectors("c")
        }
    }

    @Test func badRequestIsNotRetriedAndShowsQdrantsMessage() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: Self.fastRetry)
        try client.ensureCollection("c", vectors: VectorParams(size: 3))
        try server.reset()
        do {
            try client.upsert(collection: "c", points: [QdrantPoint(id: "1", vector: [1, 0])])
            Issue.record("expected a 400")
        } catch {
            #expect("\(error)" == "Qdrant rejected PUT /collections/c/points (400): Wrong input: Vector dimension error: expected dim: 3, got 2")
        }
        #expect(try server.requests().count == 1)
    }

    /// 429 with Retry-After: the client waits that long instead of its own (tiny) backoff.
    @Test func tooManyRequestsHonoursRetryAfter() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: RetryPolicy(attempts: 3, baseDelay: 0.001, maxDelay: 0.001))
        try server.addFault(path: "/collections/c", status: 429, count: 1, retryAfter: "1", error: "Too many requests")
        let start = Date()
        #expect(try client.collectionVectors("c") == nil)
        #expect(Date().timeIntervalSince(start) >= 0.95)
        #expect(try server.requests().map(\.status) == [429, 404])
    }

    @Test func rejectsURLsThatAreNotHTTP() {
        #expect(throws: QdrantError.badURL("localhost:6333")) { try QdrantClient(url: "localhost:6333") }
        #expect(throws: QdrantError.badURL("ftp://x")) { try QdrantClient(url: "ftp://x") }
    }
}
