// libyaml as Yams bundles it: the depth check reads the same events Yams' composer reads.
import CYaml
import Yams

/// Bounds that keep a hostile YAML document from hurting its reader: nesting deep enough
/// to exhaust the stack of Yams' recursive composer, and alias bombs that expand beyond
/// reason once composed. Every YAML file CensorScope reads goes through them (`YAMLReader.compose`).
public struct YAMLLimits: Sendable, Hashable {
    public let maximumBytes: Int
    public let maximumNodes: Int
    public let maximumFlowDepth: Int
    public let maximumIndent: Int

    public init(maximumBytes: Int, maximumNodes: Int, maximumFlowDepth: Int = 64, maximumIndent: Int = 256) {
        self.maximumBytes = maximumBytes
        self.maximumNodes = maximumNodes
        self.maximumFlowDepth = maximumFlowDepth
        self.maximumIndent = maximumIndent
    }

    /// Before composing: the line where nesting goes too deep, or nil. libyaml's own event
    /// parser (iterative, so it cannot overflow) walks the document as the composer will:
    /// no guess about quotes, plain scalars or block scalars can be fooled. Flow collections
    /// nest at most `maximumFlowDepth` deep, block collections start at most `maximumIndent`
    /// columns in, and nothing nests deeper than both together. A syntax error ends the
    /// walk with nil: the composer stops at the same event and reports it.
    public func tooDeep(_ text: String) -> Int? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0A] }   // libyaml wants a non-null buffer
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return 1 }   // out of memory: refuse
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var open: [Bool] = []   // per open collection: is it a flow collection?
            var flowDepth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let flow = event.type == YAML_SEQUENCE_START_EVENT
                        ? event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                        : event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                    open.append(flow)
                    if flow { flowDepth += 1 }
                    if flowDepth > maximumFlowDepth || open.count > maximumFlowDepth + maximumIndent { return line }
                    if !flow && Int(event.start_mark.column) > maximumIndent { return line }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    if open.popLast() == true { flowDepth -= 1 }
                case YAML_STREAM_END_EVENT:
                    return nil
                default:
                    break
                }
            }
        }
    }

    /// Counts nodes, stopping as soon as the budget is spent; returns the line of the
    /// node where it ran out, or nil when the document fits.
    public func exceeded(_ root: Node) -> Int? {
        var remaining = maximumNodes
        var stack: [Node] = [root]
        while let node = stack.popLast() {
            remaining -= 1
            if remaining < 0 { return node.mark?.line ?? 1 }
            switch node {
            case .scalar: break
            case .sequence(let s): stack.append(contentsOf: s)
            case .mapping(let m):
                for (k, v) in m { stack.append(k); stack.append(v) }
            }
        }
        return nil
    }
}
