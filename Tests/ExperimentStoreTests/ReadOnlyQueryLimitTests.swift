import ExperimentStore
import Foundation
import Synchronization
import TestSupport
import Testing

/// `ReadOnlyQuery`'s limits, the one place `blocklab sql` and the dashboard's `/api/sql` share:
/// a time limit, a row cap and a byte cap over the whole answer, a bound on one value, and
/// every statement of a query answered.
@Suite struct ReadOnlyQueryLimitTests {
    static let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

    static func store(_ dir: TempDir) throws -> String {
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try store.startRun(RunSpec(name: "a")).finish()
        return store.path
    }

    @Test func anEndlessRecursiveQueryStopsAtItsTimeLimitNamingIt() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        let limits = ReadOnlyQuery.Limits(maxRows: 10, timeout: 0.3, raiseTimeout: "pass --timeout SECONDS")
        // On a thread of its own, so that a query the limit fails to stop fails the test after
        // two minutes (a hang guard, not a figure under test) instead of holding it.
        let outcome = Mutex<Result<ReadOnlyQuery.Result, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            outcome.withLock { $0 = Result { try ReadOnlyQuery.run(Self.endless, storePath: path, limits: limits) } }
            done.signal()
        }.start()
        try #require(done.wait(timeout: .now() + 120) == .success, "the endless query was not stopped")
        switch try #require(outcome.withLock { $0 }) {
        case .success: Issue.record("the endless query returned")
        case .failure(let error):
            #expect("\(error)".contains("ran past its time limit of 0.3 s and was stopped; pass --timeout SECONDS"), "\(error)")
        }
        // The same connection setup answers a finite query within the limit.
        let finite = try ReadOnlyQuery.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000) SELECT count(*) FROM c",
                                           storePath: path, limits: limits)
        #expect(finite.rows == [[.int(1000)]])
    }

    @Test func aCancellationStopsARunningQueryAndEveryLaterOne() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        let cancellation = ReadOnlyQuery.Cancellation()
        let limits = ReadOnlyQuery.Limits(maxRows: 10, timeout: 600, cancellation: cancellation)
        let outcome = Mutex<Result<ReadOnlyQuery.Result, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            outcome.withLock { $0 = Result { try ReadOnlyQuery.run(Self.endless, storePath: path, limits: limits) } }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)  // running, within its ten minutes
        cancellation.cancel(because: "the server is stopping")
        try #require(done.wait(timeout: .now() + 120) == .success, "the cancelled query did not stop")
        switch try #require(outcome.withLock { $0 }) {
        case .success: Issue.record("the endless query returned")
        case .failure(let error): #expect("\(error)".contains("the query was stopped: the server is stopping"), "\(error)")
        }
        #expect(throws: StoreError.invalid("the query was stopped: the server is stopping")) {
            try ReadOnlyQuery.run("SELECT 1", storePath: path, limits: limits)
        }
    }

    @Test func rowsPastTheCapAreLeftOutAcrossStatements() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        let sql = "SELECT 1 AS a UNION ALL SELECT 2; SELECT 3 AS b UNION ALL SELECT 4 UNION ALL SELECT 5"
        let capped = try ReadOnlyQuery.run(sql, storePath: path, limits: .init(maxRows: 3))
        #expect(capped.statements.map(\.columns) == [["a"], ["b"]])
        #expect(capped.statements.map(\.rows) == [[[.int(1)], [.int(2)]], [[.int(3)]]])
        #expect(capped.stop == .rows(3))
        let exact = try ReadOnlyQuery.run(sql, storePath: path, limits: .init(maxRows: 5))
        #expect(exact.stop == nil && exact.statements[1].rows.count == 3)
        let all = try ReadOnlyQuery.run(sql, storePath: path, limits: .init(maxRows: nil))
        #expect(all.stop == nil && all.rows == [[.int(3)], [.int(4)], [.int(5)]])
    }

    @Test func anAnswerStopsAtItsByteCap() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        // 1000 rows of 2,000 hex characters: 2,000,000 bytes without a cap.
        let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000) SELECT hex(randomblob(1000)) FROM c"
        let result = try ReadOnlyQuery.run(sql, storePath: path, limits: .init(maxRows: nil, maxResultBytes: 100_000))
        #expect(result.stop == .bytes(100_000))
        #expect(result.rows.count == 50)  // 50 × 2,000 bytes fit; the 51st would pass the cap
        #expect(result.rows.allSatisfy { if case .string(let text) = $0[0] { text.utf8.count == 2_000 } else { false } })
    }

    @Test func oneValuePastItsBoundFailsTheQueryNamingTheSize() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        let limits = ReadOnlyQuery.Limits(maxRows: 10, maxValueBytes: 1 << 20)
        for sql in ["SELECT randomblob(1000000000)", "SELECT zeroblob(1000000000)", "SELECT length(randomblob(2000000))",
                    "SELECT hex(randomblob(600000))", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) SELECT group_concat(x || 'abcdefghij') FROM c"] {
            do {
                _ = try ReadOnlyQuery.run(sql, storePath: path, limits: limits)
                Issue.record("not refused: \(sql)")
            } catch {
                #expect("\(error)".contains("grew past 1 MiB"), "\(sql): \(error)")
            }
        }
        // Just under the bound is fine, and a blob is answered as its size.
        let fits = try ReadOnlyQuery.run("SELECT randomblob(1000000) AS b", storePath: path, limits: limits)
        #expect(fits.rows == [[.string("<blob 1000000 bytes>")]])
    }

    @Test func blankAndCommentOnlyQueriesAreErrors() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        for sql in ["", "  \n\t", "-- nothing here", "/* nor here */", ";;", " ; -- x\n;"] {
            do {
                _ = try ReadOnlyQuery.run(sql, storePath: path, maxRows: 10)
                Issue.record("accepted: \(sql.debugDescription)")
            } catch {
                #expect("\(error)".contains("the query is empty") || "\(error)".contains("holds no statement"), "\(sql.debugDescription): \(error)")
            }
        }
        let commented = try ReadOnlyQuery.run("-- the count\nSELECT 7 AS n; -- done", storePath: path, maxRows: 10)
        #expect(commented.statements.map(\.rows) == [[[.int(7)]]])
    }

    @Test func textIsReadWholeEvenPastANulCharacter() throws {
        let dir = TempDir()
        let path = try Self.store(dir)
        let result = try ReadOnlyQuery.run("SELECT 'a' || char(0) || 'b' AS t", storePath: path, maxRows: 1)
        #expect(result.rows == [[.string("a\u{0}b")]])
    }
}
