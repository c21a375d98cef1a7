/// Where a probe run reads what comes back: a libpcap capture (`LiveCapture`, every packet
/// on an interface, ours leaving included) or raw receive sockets (`SocketReceiver`, what the
/// host's IP layer takes in, from any interface). One reader at a time.
public protocol PacketSource: AnyObject {
    /// Hands every packet already received, at most `max`, to `body` without waiting.
    @discardableResult
    func drain(max: Int, _ body: (CapturedPacket) -> Void) throws(LiveCaptureError) -> Int
    /// Waits until there is something to read or `timeout` passes; true if there is.
    func waitForPackets(timeout: Duration) -> Bool
    /// Packets received and dropped (the source's buffer was full) since it opened.
    var statistics: (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? { get }
    func close()
}

extension PacketSource {
    @discardableResult
    public func drain(_ body: (CapturedPacket) -> Void) throws(LiveCaptureError) -> Int {
        try drain(max: Int(Int32.max), body)
    }
}

extension LiveCapture: PacketSource {}
