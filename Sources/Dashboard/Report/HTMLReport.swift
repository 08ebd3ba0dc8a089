import ExperimentStore
import Foundation

/// `blocklab report`: one HTML file that opens from disk with no server and no network: the
/// runs' data, dygraphs, BlockLab's script and styles are all inlined, and the page draws the
/// same run and compare views as the live dashboard.
///
/// Histories are embedded M4-downsampled to `buckets` per series (zooming in a report shows
/// those points; the live dashboard fetches full resolution on zoom).
public enum HTMLReport {
    /// What the page script reads from `<script id="blocklab-data">`.
    struct Payload: Encodable {
        var generatedAt: Double
        var store: String
        var runs: [DashboardData.RunDetail]
        var series: [String: [MetricSeries]]
        var hardware: [String: HardwareSeries]
        var compare: DashboardData.Comparison?
    }

    public static let defaultBuckets = 2000

    /// The report's HTML for `refs` (ids, names, uuid prefixes or `latest`).
    public static func render(store: ExperimentStore, runs refs: [String], buckets: Int = defaultBuckets,
                              chartLibrary: ChartLibrary) throws -> String {
        guard !refs.isEmpty else { throw DashboardError.badRequest("name at least one run") }
        let details = try refs.map { try DashboardData.runDetail(store, run: $0) }
        var series = [String: [MetricSeries]]()
        var hardware = [String: HardwareSeries]()
        for detail in details {
            let id = String(detail.run.id)
            series[id] = try DashboardData.metrics(store, run: id, keys: nil, from: nil, to: nil, buckets: buckets).series
            hardware[id] = try store.hardwareSeries(runID: detail.run.id, maxPoints: buckets)
        }
        let compare = details.count > 1
            ? try DashboardData.compare(store, runs: details.map { String($0.run.id) }, buckets: buckets) : nil
        let payload = Payload(generatedAt: Date().timeIntervalSince1970, store: store.path, runs: details, series: series,
                              hardware: hardware, compare: compare)
        let data = String(decoding: try DashboardData.encode(payload), as: UTF8.self)
        let title = details.count == 1 ? details[0].run.name : details.map(\.run.name).joined(separator: " vs ")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Pages.escape(title)) · BlockLab report</title>
            <style>\(inline(chartLibrary.stylesheet))</style>
            <style>\(inline(DashboardAssets.stylesheet))</style>
            </head><body data-page="report">
            <nav><span class="brand">BlockLab</span><span>report · \(Pages.escape(title))</span></nav>
            <main id="main"><p class="loading">Loading…</p></main>
            <script type="application/json" id="blocklab-data">\(data.replacingOccurrences(of: "<", with: "\\u003c"))</script>
            <script>\(inline(chartLibrary.script))</script>
            <script>\(inline(DashboardAssets.script))</script>
            </body></html>
            """
    }

    /// Script or style text placed inside its element must not close it early: only
    /// `</script` and `</style` do, so only they are written `<\/...` (the same text in a JS
    /// string or regular expression, and absent from CSS). Replacing every `</` would break
    /// code such as `/</g`. (JSON data has every `<` written as `\u003c` instead.)
    static func inline(_ text: String) -> String {
        text.replacingOccurrences(of: "</script", with: "<\\/script", options: .caseInsensitive)
            .replacingOccurrences(of: "</style", with: "<\\/style", options: .caseInsensitive)
    }

    /// `reports/<run name>-<run id>.html` (several runs: the first's name and every id), with
    /// characters a file name should not hold replaced.
    public static func defaultPath(for runs: [RunInfo], folder: String = "reports") -> String {
        let name = runs.first.map(\.name) ?? "report"
        let safe = String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return "\(folder)/\(safe)-\(runs.map { String($0.id) }.joined(separator: "-")).html"
    }
}
