/// What can go wrong talking to Qdrant. Messages name the server, the request and the fix,
/// and never contain the API key.
public enum QdrantError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The URL is not an http(s) URL.
    case badURL(String)
    /// No response after every try (connection refused, timeouts, resets).
    case unreachable(url: String, attempts: Int, reason: String)
    /// Retriable statuses (5xx, 408, 429) on every try.
    case unavailable(request: String, status: Int, attempts: Int, message: String)
    /// A 4xx other than 408 and 429: Qdrant's own error text, not retried.
    case rejected(request: String, status: Int, message: String)
    /// An existing collection whose vectors differ from what BlockLab would write.
    case collectionMismatch(collection: String, expected: String, found: String)
    /// A 2xx whose body is not the documented envelope.
    case badResponse(request: String, detail: String)

    public var description: String {
        switch self {
        case .badURL(let url):
            return "'\(url)' is not a Qdrant URL: pass --qdrant-url http://HOST:6333 (or https://...)"
        case .unreachable(let url, let attempts, let reason):
            return "cannot reach Qdrant at \(url) after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason). Check that the server is running and the URL and port are right"
        case .unavailable(let request, let status, let attempts, let message):
            return "Qdrant answered \(request) with \(status) on all \(attempts) attempts: \(message). The server is overloaded or failing; retry later"
        case .rejected(let request, let status, let message):
            var text = "Qdrant rejected \(request) (\(status)): \(message)"
            if status == 401 || status == 403 {
                text += ". Pass the server's API key through an environment variable named by --api-key-env"
            }
            return text
        case .collectionMismatch(let collection, let expected, let found):
            return "the Qdrant collection '\(collection)' holds \(found) vectors, but these embeddings are \(expected): choose another --collection, or delete that collection first"
        case .badResponse(let request, let detail):
            return "Qdrant's answer to \(request) is not what its API documents: \(detail)"
        }
    }
}
