import Agent
import Packets
import Testing

@Suite struct TokenFileTests {
    static let text = """
        # agent tokens
        0123456789abcdef0123456789abcdef
        fedcba9876543210fedcba9876543210 scope 198.18.1.2   # the lab client
        \tffffffffffffffffffff\tscope ::ffff:203.0.113.9\r

        """

    @Test func tokensScopesAndComments() throws {
        let file = try TokenFile(text: Self.text, name: "tokens")
        #expect(file.tokens.count == 3)
        #expect(file.tokens.map(\.line) == [2, 3, 4])
        #expect(file.tokens[0].scope == nil)
        #expect(file.tokens[1].scope == IPAddress("198.18.1.2"))
        #expect(file.tokens[2].scope == IPAddress("203.0.113.9"), "an IPv4-mapped scope is plain IPv4")
        #expect(file.tokens.map(\.index) == [0, 1, 2])
    }

    @Test(arguments: [
        ("short\n", "tokens line 1: a token must be at least 16 characters long (this one has 5)"),
        ("# only a comment\n\n", "tokens holds no token"),
        ("", "tokens holds no token"),
        ("0123456789abcdef0123 scope\n", "line 1: 'scope' must be followed by one IPv4 or IPv6 address"),
        ("0123456789abcdef0123 scope example.com\n", "'scope' must be followed by one IPv4 or IPv6 address"),
        ("0123456789abcdef0123 scope 1.2.3.4 5.6.7.8\n", "'scope' must be followed by one"),
        ("0123456789abcdef0123 allow 1.2.3.4\n", "expected 'scope ADDRESS' after the token, found 'allow'"),
        ("0123456789abcdef0123\n\n0123456789abcdef0123\n", "line 3: the same token is already on line 1"),
        ("0123456789abcdéf0123\n", "printable ASCII"),
    ])
    func badFilesAreRefusedWithTheLine(text: String, expected: String) {
        do {
            _ = try TokenFile(text: text, name: "tokens")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func onlyTheOwnerMayReadTheFile() {
        #expect(TokenFile.permissionProblem(mode: 0o100600, path: "t") == nil)
        #expect(TokenFile.permissionProblem(mode: 0o400, path: "t") == nil)
        #expect(TokenFile.permissionProblem(mode: 0o644, path: "/etc/t")
            == "/etc/t can be read by other users (mode 644): restrict it with `chmod 600 /etc/t`.")
        #expect(TokenFile.permissionProblem(mode: 0o640, path: "t") != nil)
        #expect(TokenFile.permissionProblem(mode: 0o604, path: "t") != nil)
        #expect(TokenFile.permissionProblem(mode: 0o610, path: "t") != nil)
    }

    @Test func constantTimeEquality() {
        let a = Array("0123456789abcdef".utf8)
        #expect(TokenFile.constantTimeEqual(a, a))
        #expect(!TokenFile.constantTimeEqual(a, Array("0123456789abcdeF".utf8)))
        #expect(!TokenFile.constantTimeEqual(a, Array(a.dropLast())))
        #expect(!TokenFile.constantTimeEqual(a, a + [0]))
        #expect(!TokenFile.constantTimeEqual([], a))
        #expect(TokenFile.constantTimeEqual([], []))
        // Lengths whose XOR is a multiple of 256 must still differ.
        #expect(!TokenFile.constantTimeEqual([UInt8](repeating: 0, count: 256), []))
    }

    @Test func bearerAuthentication() throws {
        let file = try TokenFile(text: Self.text, name: "tokens")
        func status(_ header: String?) -> Int? {
            if case .failure(let e) = file.authenticate(authorization: header) { return e.status }
            return nil
        }
        if case .success(let t) = file.authenticate(authorization: "Bearer fedcba9876543210fedcba9876543210") {
            #expect(t.index == 1 && t.scope == IPAddress("198.18.1.2"))
        } else { Issue.record("the second token was refused") }
        #expect(status("bearer  0123456789abcdef0123456789abcdef ") == nil)
        #expect(status(nil) == 401)
        #expect(status("") == 401)
        #expect(status("Basic dXNlcjpwYXNz") == 401)
        #expect(status("Bearer") == 401)
        #expect(status("Bearer 0123456789abcdef0123456789abcdeX") == 401)
        #expect(status("Bearer 0123456789abcdef0123456789abcdef0") == 401)
        if case .failure(let e) = file.authenticate(authorization: "Bearer wrong-token-wrong-token") {
            #expect(e.message == "the token is not one this agent accepts: check --token against the agent's token file")
        }
    }
}
