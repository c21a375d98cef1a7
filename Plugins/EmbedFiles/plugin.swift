import Foundation
import PackagePlugin

/// Embeds the repository's data files a module needs at run time (the default experiment,
/// the built-in lab scenarios)
/// as Swift source, generated at build time from the files themselves: the binary runs
/// anywhere, and there is no hand-kept copy to drift.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let files: [String]
        switch target.name {
        case "Measurement": files = ["Probes/experiments/investigate.yaml"]
        case "Lab":
            // Every built-in scenario: a file added to Probes/labs is built in at the next build.
            let labs = root.appending(path: "Probes/labs")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: labs.path)) ?? []
            files = names.filter { $0.hasSuffix(".yaml") }.sorted().map { "Probes/labs/" + $0 }
        default: files = []
        }
        guard !files.isEmpty else { return [] }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        let inputs = files.map { root.appending(path: $0) }
        return [.buildCommand(displayName: "Embedding \(files.joined(separator: ", ")) in \(target.name)",
                              executable: try context.tool(named: "embed-files").url,
                              arguments: [output.path] + zip(files, inputs).flatMap { [$0, $1.path] },
                              inputFiles: inputs, outputFiles: [output])]
    }
}
