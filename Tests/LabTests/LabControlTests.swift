import JSONSupport
import Lab
import Testing

/// The `lab` commands' outputs and choices that need no namespace.
@Suite struct LabControlTests {
    @Test func teardownReportAsTextAndJSON() {
        let none = TeardownReport()
        #expect(none.text(asked: nil) == "no lab was up; nothing to remove")
        #expect(none.text(asked: "clean") == "lab clean was not up; nothing to remove")
        let report = TeardownReport(scenarios: ["clean"], namespaces: ["cslab-clean-client", "cslab-clean-server"], processes: [42])
        #expect(report.text(asked: nil) == "removed clean: 2 namespaces, 1 processes")
        #expect(report.json.serialized() == #"{"removed":["clean"],"namespaces":["cslab-clean-client","cslab-clean-server"],"processes":[42]}"#)
    }

    @Test func theCatalogListsEveryBuiltinScenario() throws {
        let store = LabStore(root: "/nonexistent-lab-root")
        let catalog = LabCatalog(store: store)
        #expect(catalog.entries.map(\.name).prefix(BuiltinScenarios.names.count) == ArraySlice(BuiltinScenarios.names))
        #expect(catalog.entries.allSatisfy { $0.builtin && !$0.description.isEmpty })
        let width = BuiltinScenarios.names.map(\.count).max() ?? 0
        // "up  " marks a lab that is up on this machine (another test's, say), else four spaces.
        #expect(catalog.text.allSatisfy { ($0.hasPrefix("    ") || $0.hasPrefix("up  ")) && $0.count > width + 6 })
        guard case .array(let rows)? = catalog.json["scenarios"] else { Issue.record("no scenarios array"); return }
        #expect(rows.count == catalog.entries.count && rows.first?["up"] == .bool(catalog.entries[0].up))
    }

    @Test func choosingALab() {
        let store = LabStore(root: "/nonexistent-lab-root")
        let invalid = #expect(throws: LabError.self) { try store.choose("Not A Name") }
        #expect(invalid?.description.hasPrefix("`Not A Name` is not a scenario name") == true)
        #expect(LabError.noState(scenario: "x").description == "lab x has namespaces but no state (a crashed `lab up`?): run `censorscope lab down x`")
        #expect(LabError.namespaceGone(node: "client", scenario: "x").description
            == "the namespace of client is gone: run `censorscope lab down x` and `lab up` again")
    }
}
