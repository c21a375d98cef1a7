import Foundation
import PackagePlugin

/// Embeds the repository's data files a module needs at run time (the default experiment)
/// as Swift source, generated at build time from the files themselves: the binary runs
/// anywhere, and there is no hand-kept copy to drift.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let files: [String]
        switch target.name {
        case "Measurement": files = ["Probes/experiments/investigate.yaml"]
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
