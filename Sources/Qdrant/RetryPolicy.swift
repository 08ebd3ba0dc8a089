import Foundation

/// When and how long to wait before trying a request again.
///
/// Connection errors, 5xx, 408 and 429 are retried, up to `attempts` tries in all. The wait
/// before try n + 1 is "full jitter" exponential backoff: a uniform draw from
/// [0, min(maxDelay, baseDelay × 2^(n-1))], so many clients retrying at once spread out.
/// A `Retry-After` header (seconds or an HTTP date) is honoured instead when present, up to
/// `maxRetryAfter`. Other 4xx are never retried: the request itself is wrong.
public struct RetryPolicy: Sendable, Equatable {
    public var attempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    public var maxRetryAfter: Double

    public init(attempts: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 8, maxRetryAfter: Double = 60) {
        precondition(attempts >= 1, "at least one attempt")
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Whether a response with `status` may succeed if sent again.
    public static func isRetriable(status: Int) -> Bool {
        status >= 500 || status == 408 || status == 429
    }

    /// Seconds to wait after failed try `attempt` (1-based), given the response's headers.
    public func delay<G: RandomNumberGenerator>(afterAttempt attempt: Int, retryAfter: String?, using generator: inout G) -> Double {
        if let retryAfter, let seconds = Self.parseRetryAfter(retryAfter) {
            return min(max(seconds, 0), maxRetryAfter)
        }
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return ceiling > 0 ? Double.random(in: 0...ceiling, using: &generator) : 0
    }

    /// `Retry-After` as delta-seconds ("3", "1.5") or an HTTP date (RFC 9110), in seconds from now.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return date.timeIntervalSince(now)
    }
}
