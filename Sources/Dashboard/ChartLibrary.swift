import Foundation

/// dygraphs, the chart library every page and report draws with, as Debian's `libjs-dygraphs`
/// installs it. BlockLab serves it itself (and inlines it into reports): no page loads anything
/// from another host.
public struct ChartLibrary: Sendable {
    /// Where Debian puts it; `BLOCKLAB_DYGRAPHS_DIR` names another folder holding the same files.
    public static let defaultDirectory = "/usr/share/javascript/dygraphs"

    public let script: String
    public let stylesheet: String

    /// Reads `dygraph.min.js` and `dygraph.min.css`; throws the install command when missing.
    public static func load(directory: String? = nil) throws -> ChartLibrary {
        let directory = directory ?? ProcessInfo.processInfo.environment["BLOCKLAB_DYGRAPHS_DIR"] ?? defaultDirectory
        func read(_ name: String) throws -> String {
            let path = "\(directory)/\(name)"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw DashboardError(status: 500, """
                    the chart library dygraphs is missing (\(path) cannot be read): install it with \
                    `sudo apt-get install libjs-dygraphs` (or run scripts/setup/dashboard.sh), \
                    or set BLOCKLAB_DYGRAPHS_DIR to a folder holding dygraph.min.js and dygraph.min.css
                    """)
            }
            // The source map exists only for debuggers; without the line nothing asks for it.
            return text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("//# sourceMappingURL") && !$0.hasPrefix("/*# sourceMappingURL") }
                .joined(separator: "\n")
        }
        return ChartLibrary(script: try read("dygraph.min.js"), stylesheet: try read("dygraph.min.css"))
    }
}
