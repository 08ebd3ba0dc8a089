import ExperimentStore
import Foundation
import Hummingbird

/// The pages (`/`, `/runs/{run}`, `/compare?runs=`, `/sql`) and the four static files they
/// load: BlockLab's script and styles (from the module's resources) and dygraphs' two.
extension DashboardServer {
    func addPageRoutes(to router: Router<BasicRequestContext>) {
        let store = self.store
        router.get("/") { _, _ in
            _ = try store.store()
            return html(Pages.page(.runs, title: "Runs"))
        }
        router.get("/runs/:run") { _, context in
            let run = try store.store().run(context.parameters.require("run"))
            return html(Pages.page(.run, title: run.name, attributes: ["run": String(run.id)]))
        }
        router.get("/compare") { request, _ in
            guard let refs = try Query(request).list("runs") else {
                throw DashboardError.badRequest("choose runs to compare on the runs page, or open /compare?runs=ID,ID")
            }
            let runs = try refs.map { try store.store().run($0) }
            return html(Pages.page(.compare, title: "Compare " + runs.map(\.name).joined(separator: ", "),
                                   attributes: ["runs": runs.map { String($0.id) }.joined(separator: ",")]))
        }
        router.get("/sql") { _, _ in
            _ = try store.store()
            return html(Pages.page(.sql, title: "SQL"))
        }
        let assets = [
            "dashboard.js": (DashboardAssets.script, "text/javascript"),
            "dashboard.css": (DashboardAssets.stylesheet, "text/css"),
            "dygraph.min.js": (chartLibrary.script, "text/javascript"),
            "dygraph.min.css": (chartLibrary.stylesheet, "text/css"),
        ]
        router.get("/static/:file") { _, context in
            let name = try context.parameters.require("file")
            guard let (text, type) = assets[name] else { throw DashboardError.notFound("no static file \(name)") }
            return Response(status: .ok, headers: [.contentType: "\(type); charset=utf-8", .cacheControl: "no-cache"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

func html(_ text: String) -> Response {
    Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
             body: .init(byteBuffer: ByteBuffer(string: text)))
}
