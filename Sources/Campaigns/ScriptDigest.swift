import Crypto
import Packets

extension ExperimentScript {
    /// The SHA-256 of a script's text (its UTF-8 bytes) as 64 lower-case hex digits: what a
    /// campaign records, so that a resumed campaign can tell it runs the script it started with.
    public static func sha256(of text: String) -> String {
        Hex.encode(Array(SHA256.hash(data: Array(text.utf8))))
    }
}
