import Foundation

// embed-files OUTPUT NAME PATH [NAME PATH …]: writes OUTPUT, a Swift file whose
// `EmbeddedFiles.text` maps each NAME to the text of its PATH (the build plugin's tool).
// A @main type rather than top-level code: the fuzzing build compiles every module as a
// library (-parse-as-library), plugin tools included.
@main
enum EmbedFilesTool {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count >= 1, arguments.count % 2 == 1 else {
            FileHandle.standardError.write(Data("usage: embed-files OUTPUT NAME PATH [NAME PATH …]\n".utf8))
            exit(64)
        }
        var source = "// Generated at build time by the EmbedFiles plugin from the files named below; do not edit.\n"
        source += "enum EmbeddedFiles {\n    static let text: [String: String] = [\n"
        for i in stride(from: 1, to: arguments.count, by: 2) {
            let (name, path) = (arguments[i], arguments[i + 1])
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                FileHandle.standardError.write(Data("embed-files: cannot read \(path) as UTF-8 text\n".utf8))
                exit(1)
            }
            // A raw string whose delimiter the text cannot close.
            var hashes = "#"
            while text.contains("\"\"\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
            // The line break before the closing delimiter is not part of the literal.
            source += "        \(hashes)\"\(name)\"\(hashes): \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
        }
        source += "    ]\n}\n"
        do { try source.write(toFile: arguments[0], atomically: true, encoding: .utf8) } catch {
            FileHandle.standardError.write(Data("embed-files: cannot write \(arguments[0]): \(error)\n".utf8))
            exit(1)
        }
    }
}
