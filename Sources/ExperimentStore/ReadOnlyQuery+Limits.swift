import Foundation
import GRDBSQLite
import Synchronization

extension ReadOnlyQuery {
    /// The bounds one query runs within, so that no query (a runaway `WITH RECURSIVE`, a
    /// `randomblob(1e9)`, a million rows of long text) can hold a thread or the memory for ever.
    ///
    ///     let limits = ReadOnlyQuery.Limits(maxRows: 1000, timeout: 5, raiseTimeout: "pass --timeout SECONDS")
    public struct Limits: Sendable {
        /// At most this many rows over all statements; nil for no cap. More rows are left out
        /// and the result says so (`Result.stop`).
        public var maxRows: Int?
        /// Seconds the query may run before SQLite is told to stop it; nil for no limit. Past
        /// it the query fails with an error naming the limit and `raiseTimeout`.
        public var timeout: Double?
        /// The most bytes the answer may hold (text as UTF-8, 8 per number, 1 per NULL, a blob
        /// as its `<blob N bytes>` placeholder); the rows past it are left out, as past `maxRows`.
        public var maxResultBytes: Int
        /// The most bytes one value may hold while the query runs (SQLite's SQLITE_LIMIT_LENGTH,
        /// which also bounds `randomblob`, `zeroblob`, `group_concat`, `hex` and table rows read):
        /// a larger one fails the query with an error naming the size.
        public var maxValueBytes: Int
        /// How the caller raises the time limit, for the error ("pass --timeout SECONDS").
        public var raiseTimeout: String
        /// Stops the query from outside (a server that is stopping), whatever its time limit.
        public var cancellation: Cancellation?

        public init(maxRows: Int?, timeout: Double? = nil, maxResultBytes: Int = 1 << 30, maxValueBytes: Int = 256 << 20,
                    raiseTimeout: String = "narrow the query (WHERE, LIMIT)", cancellation: Cancellation? = nil) {
            self.maxRows = maxRows
            self.timeout = timeout
            self.maxResultBytes = maxResultBytes
            self.maxValueBytes = maxValueBytes
            self.raiseTimeout = raiseTimeout
            self.cancellation = cancellation
        }
    }

    /// A switch that stops every query that carries it, now and from then on: the query
    /// fails with "the query was stopped: REASON".
    public final class Cancellation: Sendable {
        private let cancelled = Atomic(false)
        private let why = Mutex("")

        public init() {}

        public func cancel(because reason: String) {
            why.withLock { $0 = reason }
            cancelled.store(true, ordering: .releasing)
        }

        public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
        public var reason: String { why.withLock { $0 } }
    }

    /// A deadline (and a cancellation) SQLite checks every `checkEvery` virtual-machine steps
    /// (its progress handler); past it the handler asks SQLite to stop, and the statement
    /// returns SQLITE_INTERRUPT.
    final class Deadline {
        static let checkEvery: Int32 = 1000
        let nanoseconds: UInt64?
        let cancellation: Cancellation?
        private(set) var passed = false

        init(seconds: Double?, cancellation: Cancellation?) {
            nanoseconds = seconds.map { DispatchTime.now().uptimeNanoseconds + UInt64(max(0, $0) * 1e9) }
            self.cancellation = cancellation
        }

        /// Installs the handler on `connection`; the deadline must outlive the connection's use.
        func install(on connection: OpaquePointer) {
            guard nanoseconds != nil || cancellation != nil else { return }
            sqlite3_progress_handler(connection, Self.checkEvery, { context in
                let deadline = Unmanaged<Deadline>.fromOpaque(context!).takeUnretainedValue()
                if deadline.cancellation?.isCancelled == true { return 1 }
                guard let end = deadline.nanoseconds, DispatchTime.now().uptimeNanoseconds >= end else { return 0 }
                deadline.passed = true
                return 1
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// `bytes` as people read it: "16 MiB", "512 KiB", "300 bytes".
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// Seconds without a useless fraction: "5 s", "0.25 s".
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
