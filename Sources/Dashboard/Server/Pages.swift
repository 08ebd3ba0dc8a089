import Foundation

/// The HTML of the dashboard's pages. Each is a small shell: `dashboard.js` fills it from the
/// JSON API (live) or from data embedded in the file (a report), so both draw the same views.
enum Pages {
    enum Kind: String {
        case runs, run, compare, sql
    }

    /// A live page: styles and scripts from this server only.
    static func page(_ kind: Kind, title: String, attributes: [String: String] = [:]) -> String {
        let data = attributes.sorted { $0.key < $1.key }.map { " data-\($0.key)=\"\(escape($0.value))\"" }.joined()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · BlockLab</title>
            <link rel="stylesheet" href="/static/dygraph.min.css">
            <link rel="stylesheet" href="/static/dashboard.css">
            <script src="/static/dygraph.min.js"></script>
            <script src="/static/dashboard.js" defer></script>
            </head><body data-page="\(kind.rawValue)"\(data)>
            \(navigation(active: kind))
            <main id="main"><p class="loading">Loading…</p></main>
            </body></html>
            """
    }

    static func navigation(active: Kind?) -> String {
        let links: [(Kind, String, String)] = [(.runs, "/", "Runs"), (.sql, "/sql", "SQL")]
        return "<nav><a class=\"brand\" href=\"/\">BlockLab</a>"
            + links.map { "<a href=\"\($0.1)\"\($0.0 == active ? " class=\"active\"" : "")>\($0.2)</a>" }.joined()
            + "<span id=\"live\" class=\"live\"></span></nav>"
    }

    /// Styles inlined: a 401 page cannot load the stylesheet, which needs the token too.
    static func errorPage(status: Int, message: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Error \(status) · BlockLab</title>
        <style>\(DashboardAssets.stylesheet)</style></head>
        <body data-page="error">\(navigation(active: nil))
        <main><h1>Error \(status)</h1><p class="error" id="error">\(escape(message))</p></main></body></html>
        """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
