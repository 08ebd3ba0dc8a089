import Foundation
@testable import Qdrant
import QdrantTestSupport
import Testing

/// The Qdrant test server holds request bodies to Qdrant's OpenAPI schema. Vectors are
/// checked in one pass when every item is a JSON number; these bodies, sent as written,
/// check that the pass lets numbers through and leaves everything else to the full schema
/// check (whose error names the place), not to the engine.
@Suite(.tags(.server)) struct TestServerContractTests {
    static func upsert(_ client: QdrantClient, vector: String) throws(QdrantError) {
        _ = try client.send("PUT", "/collections/c/points?wait=true",
                            body: Data(#"{"points":[{"id":1,"vector":\#(vector),"payload":{"n":1}}]}"#.utf8))
    }

    @Test func vectorsOfIntegersAndFloatsPass() throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: QdrantClientTests.fastRetry)
        try client.ensureCollection("c", vectors: VectorParams(size: 3))
        try Self.upsert(client, vector: "[1,0.5,-2e-3]")
        #expect(try client.query(collection: "c", vector: [1, 0, 0], limit: 5).map(\.id) == ["1"])
    }

    @Test(arguments: [#"[0.1,"x",0.3]"#, "[0.1,true,0.3]", "[0.1,null,0.3]", "[0.1,[0.2],0.3]", "[0.1,{},0.3]"])
    func anythingElseInAVectorFailsTheSchema(vector: String) throws {
        let server = try QdrantTestServer()
        let client = try QdrantClient(url: server.url, retry: QdrantClientTests.fastRetry)
        try client.ensureCollection("c", vectors: VectorParams(size: 3))
        do {
            try Self.upsert(client, vector: vector)
            Issue.record("\(vector) was accepted")
        } catch {
            guard case .rejected(_, let status, let message) = error else { Issue.record("got \(error)"); return }
            #expect(status == 400)
            #expect(message.hasPrefix("Format error in JSON body: points.0.vector"), "\(message)")
        }
    }
}
