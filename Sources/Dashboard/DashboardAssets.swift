import Foundation

/// BlockLab's own page script and styles, shipped as module resources (Assets/).
enum DashboardAssets {
    static let script = load("dashboard", "js")
    static let stylesheet = load("dashboard", "css")

    private static func load(_ name: String, _ ext: String) -> String {
        // A build without its resources is broken: trap with the file's name.
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Assets"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("BlockLab's resource Assets/\(name).\(ext) is missing from the build")
        }
        return text
    }
}
