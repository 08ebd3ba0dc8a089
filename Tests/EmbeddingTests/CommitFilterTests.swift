import Embedding
import Foundation
import Qdrant
import Testing

/// `search`'s payload filters: the dates they accept, the store-side test of a payload, and
/// the Qdrant filter they become.
struct CommitFilterTests {
    static func payload(author: String, time: String) -> String { #"{"author":"\#(author)","time":"\#(time)","hash":"h"}"# }

    @Test func datesAreUTCDaysOrZonedTimesAndUntilIncludesItsDay() throws {
        let filter = try CommitFilter.parse(author: nil, since: "2024-03-02", until: "2024-03-02")
        #expect(filter.matches(payloadJSON: Self.payload(author: "a", time: "2024-03-02T00:00:00Z")))
        #expect(filter.matches(payloadJSON: Self.payload(author: "a", time: "2024-03-02T23:59:59Z")))
        #expect(!filter.matches(payloadJSON: Self.payload(author: "a", time: "2024-03-03T00:00:00Z")))
        // 2024-03-02T01:00:00+02:00 is 2024-03-01T23:00:00Z: before the day, in UTC.
        #expect(!filter.matches(payloadJSON: Self.payload(author: "a", time: "2024-03-02T01:00:00+02:00")))
        let zoned = try CommitFilter.parse(author: nil, since: "2024-03-02T10:00:00+02:00", until: nil)
        #expect(zoned.matches(payloadJSON: Self.payload(author: "a", time: "2024-03-02T08:00:00Z")))
        #expect(!zoned.matches(payloadJSON: Self.payload(author: "a", time: "2024-03-02T07:59:59Z")))
        #expect(zoned.qdrantFilter == QdrantFilter(must: [.datetimeRange(key: "time", gte: "2024-03-02T08:00:00Z", lt: nil)]))
    }

    @Test func authorIsExactAndBothConditionsMustHold() throws {
        let filter = try CommitFilter.parse(author: "Ada", since: "2024-01-01", until: nil)
        #expect(filter.matches(payloadJSON: Self.payload(author: "Ada", time: "2024-05-01T00:00:00Z")))
        #expect(!filter.matches(payloadJSON: Self.payload(author: "ada", time: "2024-05-01T00:00:00Z")))
        #expect(!filter.matches(payloadJSON: Self.payload(author: "Ada", time: "2023-05-01T00:00:00Z")))
        #expect(filter.qdrantFilter == QdrantFilter(must: [.matches(key: "author", value: "Ada"),
                                                           .datetimeRange(key: "time", gte: "2024-01-01T00:00:00Z", lt: nil)]))
        #expect(try CommitFilter.parse(author: nil, since: nil, until: nil).qdrantFilter == nil)
    }

    @Test(arguments: ["yesterday", "2024-13-01", "2024-03-01T09:00:00", "03/01/2024"])
    func otherTextIsAnErrorShowingTheForms(text: String) {
        #expect { try CommitFilter.parse(author: nil, since: text, until: nil) } throws: { error in
            "\(error)".contains("'\(text)' is not a date") && "\(error)".contains("YYYY-MM-DD")
        }
    }

    @Test func sinceMustComeBeforeUntil() {
        #expect(throws: (any Error).self) { try CommitFilter.parse(author: nil, since: "2024-03-05", until: "2024-03-01") }
    }
}
