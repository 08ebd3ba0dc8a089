import ArgumentParser

/// The formats every data command prints: `--format table|json|csv`.
package enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}
