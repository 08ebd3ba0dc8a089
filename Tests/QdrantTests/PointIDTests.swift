import Foundation
@testable import Qdrant
import Testing

@Suite struct PointIDTests {
    /// Values from Python's `uuid.uuid5(uuid.NAMESPACE_URL, name)`: a commit hash, the empty
    /// name, names whose 16-byte namespace + name fill one SHA-1 block exactly to its padding
    /// limit (39 bytes), one byte past it (40), a whole block (48), several blocks, and UTF-8.
    @Test func uuid5MatchesPython() {
        let python = [
            ("9fceb02d0ae598e95dc970b74767f19372d61af8", "7e722d2d-ebf2-51fa-a83b-6a66a34356f8"),
            ("", "1b4db7eb-4057-5ddf-91e0-36dec72071f5"),
            ("a", "e1407479-3136-56c0-9908-bb02fb0339e2"),
            ("abc", "68661508-f3c4-55b4-945d-ae2b4dfe5db4"),
            (String(repeating: "x", count: 39), "f4eaee1e-e483-528b-88bd-6b8932ab6e2b"),
            (String(repeating: "x", count: 40), "f562c38a-a8fe-5cdd-b523-6f30cfb54847"),
            (String(repeating: "x", count: 48), "8fa6ffa9-9280-5899-a2d8-b082ccdf6380"),
            (String(repeating: "z", count: 200), "fce7a250-5a1c-5653-9895-ed3ab0560e31"),
            ("commit:\u{e9}\u{2713}", "723e2e41-9bd1-5a5b-8f64-6a0b4f8299e9"),
            ("https://example.com/path?q=1", "4d939a02-ffec-5054-8c09-9a5221c624b7"),
        ]
        for (name, expected) in python { #expect(PointID.uuid5(name) == expected, "\(name)") }
    }

    @Test func upsertBodyIsJSONWithExactFloats() throws {
        let points = [QdrantPoint(id: PointID.uuid5("a"), vector: [0.1, -2.5e-8, 1], payloadJSON: #"{"k":"v"}"#),
                      QdrantPoint(id: "42", vector: [Float.leastNormalMagnitude, 3, 0.33333334])]
        let object = try #require(try JSONSerialization.jsonObject(with: QdrantClient.upsertBody(points)) as? [String: Any])
        let list = try #require(object["points"] as? [[String: Any]])
        #expect(list[0]["id"] as? String == PointID.uuid5("a"))
        #expect((list[1]["id"] as? NSNumber)?.intValue == 42)
        let vector = try #require(list[1]["vector"] as? [NSNumber]).map { Float($0.doubleValue) }
        #expect(vector == points[1].vector)
        #expect((list[0]["payload"] as? [String: String]) == ["k": "v"])
    }

    /// The body's exact text: integer ids bare, UUIDs quoted, floats in Swift's shortest form.
    @Test func upsertBodyText() {
        let points = [QdrantPoint(id: "7", vector: [1, -2.5e-8, 0.1], payloadJSON: "{}"),
                      QdrantPoint(id: "1b4db7eb-4057-5ddf-91e0-36dec72071f5", vector: [0.33333334], payloadJSON: #"{"a":[1]}"#)]
        let text = String(decoding: QdrantClient.upsertBody(points), as: UTF8.self)
        #expect(text == #"{"points":[{"id":7,"vector":[1.0,-2.5e-08,0.1],"payload":{}},"#
                    + #"{"id":"1b4db7eb-4057-5ddf-91e0-36dec72071f5","vector":[0.33333334],"payload":{"a":[1]}}]}"#)
    }

    /// Every float32 survives the trip through the body's text exactly, whatever its magnitude.
    @Test func upsertBodyFloatsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let vector = (0..<4096).map { i -> Float in
            let magnitude = Float.random(in: 0..<1, using: &generator) * Float(sign: .plus, exponent: Int.random(in: -126...127, using: &generator), significand: 1)
            return i % 2 == 0 ? magnitude : -magnitude
        } + [Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude, -0.0, 0]
        let object = try #require(try JSONSerialization.jsonObject(with: QdrantClient.upsertBody([QdrantPoint(id: "1", vector: vector)])) as? [String: Any])
        let sent = try #require((object["points"] as? [[String: Any]])?.first?["vector"] as? [NSNumber]).map { Float($0.doubleValue) }
        #expect(sent.count == vector.count)
        #expect(zip(sent, vector).allSatisfy { $0.bitPattern == $1.bitPattern || ($0 == 0 && $1 == 0) })
    }
}

@Suite struct RetryPolicyTests {
    @Test func retriableStatuses() {
        #expect([500, 502, 503, 504, 408, 429].allSatisfy(RetryPolicy.isRetriable))
        #expect(![400, 401, 403, 404, 409, 422].contains(where: RetryPolicy.isRetriable))
    }

    @Test func retryAfterSecondsAndDates() {
        #expect(RetryPolicy.parseRetryAfter("3") == 3)
        #expect(RetryPolicy.parseRetryAfter(" 1.5 ") == 1.5)
        #expect(RetryPolicy.parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", now: Date(timeIntervalSince1970: 4)) == 6)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    }

    /// Full jitter: each delay lies in [0, min(max, base × 2^(n-1))]; Retry-After wins, capped.
    @Test func backoffBounds() {
        let policy = RetryPolicy(attempts: 6, baseDelay: 0.5, maxDelay: 3, maxRetryAfter: 20)
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...6 {
            let ceiling = min(3, 0.5 * pow(2, Double(attempt - 1)))
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt, retryAfter: nil, using: &generator)
                #expect(delay >= 0 && delay <= ceiling)
            }
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: "7", using: &generator) == 7)
        #expect(policy.delay(afterAttempt: 1, retryAfter: "600", using: &generator) == 20)
    }
}
