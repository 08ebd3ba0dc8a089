import Foundation
import TestSupport
import Testing

/// `blocklab sql` as a user runs it: the built binary, a real store, its output byte for byte.
@Suite struct SQLCommandTests {
    /// A store with one run of one point, made by `blocklab ingest`.
    static func store(_ dir: TempDir) throws -> String {
        let store = dir.file("s.db")
        let made = try CLI.run(["ingest", "--store", store, "--name", "a"], stdin: "{\"step\": 1, \"loss\": 2.5}\n")
        #expect(made.status == 0, "\(made.stderr)")
        return store
    }

    static func sql(_ arguments: [String], store: String) throws -> CLI.Result {
        try CLI.run(["sql"] + arguments + ["--store", store])
    }

    static let numbers = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1500) SELECT x FROM c"

    @Test func showsAThousandRowsUnlessTold() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let capped = try Self.sql([Self.numbers, "--format", "csv"], store: store)
        #expect(capped.status == 0)
        #expect(capped.stdout == "x\r\n" + (1...1000).map { "\($0)\r\n" }.joined())
        #expect(capped.stderr.contains("showing the first 1000 rows; more exist"))
        let all = try Self.sql([Self.numbers, "--format", "csv", "--max-rows", "0"], store: store)
        #expect(all.stdout == "x\r\n" + (1...1500).map { "\($0)\r\n" }.joined())
        #expect(all.stderr.isEmpty)
        let five = try Self.sql([Self.numbers, "--format", "csv", "--max-rows", "5"], store: store)
        #expect(five.stdout == "x\r\n1\r\n2\r\n3\r\n4\r\n5\r\n")
    }

    @Test func jsonKeepsEveryColumnInOrderWithRepeatedNamesMadeUnique() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let result = try Self.sql(["SELECT 3 AS b, 1 AS a, 2 AS a, 'x' AS a_2, NULL AS a", "--format", "json"], store: store)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            [
              {
                "b" : 3,
                "a" : 1,
                "a_3" : 2,
                "a_2" : "x",
                "a_4" : null
              }
            ]

            """)
        let empty = try Self.sql(["SELECT 1 AS a WHERE 0", "--format", "json"], store: store)
        #expect(empty.stdout == "[]\n")
    }

    @Test func everyStatementIsAnswered() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let query = "SELECT 1 AS one; SELECT 2 AS two, 'b' AS letter"
        let table = try Self.sql([query], store: store)
        #expect(table.stdout == "one\n---\n1\n\ntwo  letter\n---  ------\n2    b\n")
        let csv = try Self.sql([query, "--format", "csv"], store: store)
        #expect(csv.stdout == "one\r\n1\r\n\r\ntwo,letter\r\n2,b\r\n")
        let json = try Self.sql([query, "--format", "json"], store: store)
        #expect(json.stdout == "[\n  {\n    \"one\" : 1\n  }\n]\n[\n  {\n    \"two\" : 2,\n    \"letter\" : \"b\"\n  }\n]\n")
    }

    @Test func aBlankQueryIsAnError() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        for query in ["", "   ", "-- only a comment", ";"] {
            let result = try Self.sql([query], store: store)
            #expect(result.status != 0, "\(query.debugDescription)")
            #expect(result.stderr.contains("the query is empty") || result.stderr.contains("holds no statement"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let none = try CLI.run(["sql", "--store", store])
        #expect(none.status != 0 && none.stderr.contains("give a query"), "\(none.stderr)")
    }

    @Test func aQueryThatBeginsWithACommentIsTheQueryNotAnOption() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let bare = try Self.sql(["-- the answer\nSELECT 42 AS n", "--format", "csv"], store: store)
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect(bare.stdout == "n\r\n42\r\n")
        let afterTerminator = try CLI.run(["sql", "--store", store, "--format", "csv", "--", "-- the answer\nSELECT 43 AS n"])
        #expect(afterTerminator.stdout == "n\r\n43\r\n", "\(afterTerminator.stderr)")
        let mistyped = try CLI.run(["sql", "SELECT 1", "--max-rowz", "3", "--store", store])
        #expect(mistyped.status != 0)
        #expect(mistyped.stderr.contains("unknown option '--max-rowz'"), "\(mistyped.stderr)")
        let unquoted = try CLI.run(["sql", "SELECT", "1", "--store", store])
        #expect(unquoted.status != 0 && unquoted.stderr.contains("give the query as one argument"), "\(unquoted.stderr)")
    }

    @Test func aQueryStopsAtItsTimeLimitAndAValueAtItsSize() throws {
        let dir = TempDir()
        let store = try Self.store(dir)
        let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        let stopped = try Self.sql([endless, "--timeout", "0.5"], store: store)
        #expect(stopped.status != 0)
        #expect(stopped.stderr.contains("ran past its time limit of 0.5 s and was stopped; raise it with --timeout SECONDS (0: no limit)"),
                "\(stopped.stderr)")
        #expect(try Self.sql([Self.numbers, "--timeout", "0", "--max-rows", "1"], store: store).status == 0)
        let negative = try Self.sql(["SELECT 1", "--timeout=-1"], store: store)
        #expect(negative.status != 0 && negative.stderr.contains("--timeout -1.0: give seconds"), "\(negative.stderr)")
        let flood = try Self.sql(["SELECT randomblob(1000000000)"], store: store)
        #expect(flood.status != 0 && flood.stderr.contains("grew past 256 MiB"), "\(flood.stderr)")
        let help = try CLI.run(["sql", "--help"])
        #expect(help.stdout.contains("--timeout") && help.stdout.contains("default 60"), "\(help.stdout)")
    }
}
