import ArgumentParser
import ExperimentStore
import Foundation

package struct SQLCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run a read-only SQL query against the store (schema: schema/README.md).",
        usage: "blocklab sql QUERY [--store <file>] [--format table|json|csv] [--max-rows <n>] [--timeout <seconds>] [--no-pager]",
        discussion: """
            Writes, ATTACH and PRAGMAs that change anything are refused; the file is opened read-only.
            Every statement runs and each answer is shown ("SELECT 1; SELECT 2" prints two tables; in JSON, \
            one array per statement, one after another, which jq reads in turn; in CSV, tables apart by an empty line).
            JSON rows are objects with the columns in order; a repeated column name gets _2, _3, ... \
            (SELECT 1 AS x, 2 AS x gives {"x": 1, "x_2": 2}).
            A query is stopped after --timeout seconds (default 60; 0: no limit), shows at most --max-rows rows \
            (default 1000; 0: all) and at most 1 GiB; one value may hold at most 256 MiB.
            A query that starts with an SQL comment (--) is read as the query, not as an option; \
            `blocklab sql -- QUERY` works too.
            """)
    package init() {}

    /// The default of `--timeout`: long enough for any aggregate over a large store, short
    /// enough that a runaway recursive query in a script ends on its own.
    package static let defaultTimeout = 60.0

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var pager: PagerOption
    // Every input ArgumentParser does not know lands here, so a query that begins with `--`
    // (an SQL comment) is taken as the query rather than as an unknown option; `validate`
    // tells a mistyped option from a query.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The query, e.g. \"SELECT name, status FROM run_summary\".", valueName: "query"))
    var words: [String] = []
    @Option(help: "At most this many rows in all (0: no cap).") var maxRows = 1000
    @Option(help: ArgumentHelp("Stop the query after this many seconds (0: no limit).", valueName: "seconds"))
    var timeout = SQLCommand.defaultTimeout

    /// The query: the one argument left once a leading `--` terminator is set aside.
    var query: String {
        get throws {
            let given = words.first == "--" ? Array(words.dropFirst()) : words
            if given.count == 1, let query = given.first { return query }
            if let option = given.first(where: { $0.range(of: #"^--?[A-Za-z][A-Za-z0-9-]*(=.*)?$"#, options: .regularExpression) != nil }) {
                throw ValidationError("unknown option '\(option)' (see `blocklab sql --help`); an SQL query that begins with -- is taken as the query when quoted as one argument")
            }
            if given.isEmpty {
                throw ValidationError("give a query: blocklab sql \"SELECT name, status FROM run_summary\" (the tables: schema/README.md)")
            }
            throw ValidationError("give the query as one argument, in quotes: blocklab sql \"\(given.joined(separator: " "))\"")
        }
    }

    package func validate() throws {
        _ = try query
        guard maxRows >= 0 else { throw ValidationError("--max-rows \(maxRows): give a number of rows, or 0 for all") }
        guard timeout >= 0, timeout.isFinite else { throw ValidationError("--timeout \(timeout): give seconds, or 0 for no limit") }
    }

    package func run() throws {
        let limits = ReadOnlyQuery.Limits(maxRows: maxRows == 0 ? nil : maxRows, timeout: timeout == 0 ? nil : timeout,
                                          raiseTimeout: "raise it with --timeout SECONDS (0: no limit), or narrow the query (WHERE, LIMIT)")
        let result = try ReadOnlyQuery.run(try query, storePath: storeOptions.path, limits: limits)
        pager.start()
        for (index, statement) in result.statements.enumerated() {
            if index > 0 && output.format == .table { print() }
            if index > 0 && output.format == .csv { print("\r", terminator: "\n") }
            if output.format == .json {
                print(Self.json(statement))
            } else {
                output.print(headers: statement.columns, rows: statement.rows.map { $0.map { $0 == .null ? nil : $0.displayText } })
            }
        }
        let rows = result.statements.reduce(0) { $0 + $1.rows.count }
        switch result.stop {
        case .rows(let cap)?:
            Console.warning("blocklab: showing the first \(cap) rows; more exist. Page with LIMIT/OFFSET in the query, or pass --max-rows N (0 for all).")
        case .bytes(let cap)?:
            Console.warning("blocklab: stopped after \(rows) rows: the answer reached \(cap >> 20) MiB, the most `blocklab sql` holds; select fewer or shorter columns, or page with LIMIT/OFFSET.")
        case nil: break
        }
    }

    /// A statement's rows as a pretty JSON array of objects whose keys follow the columns in
    /// order, a repeated name made unique (`uniqueNames`).
    static func json(_ statement: ReadOnlyQuery.Statement) -> String {
        let keys = uniqueNames(statement.columns).map { JSONValue.string($0).jsonString() }
        guard !statement.rows.isEmpty else { return "[]" }
        let objects = statement.rows.map { row in
            "  {\n" + zip(keys, row).map { "    \($0) : \($1.jsonString())" }.joined(separator: ",\n") + "\n  }"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]"
    }

    /// Column names made unique as JSON keys: the second `x` becomes `x_2`, the third `x_3`,
    /// skipping any suffix that is itself a column's name.
    static func uniqueNames(_ columns: [String]) -> [String] {
        var used = Set<String>(), names = [String]()
        let taken = Set(columns)
        for column in columns {
            var name = column, suffix = 2
            while used.contains(name) || (name != column && taken.contains(name)) {
                name = "\(column)_\(suffix)"
                suffix += 1
            }
            used.insert(name)
            names.append(name)
        }
        return names
    }
}
