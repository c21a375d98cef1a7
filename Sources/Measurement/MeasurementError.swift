/// A measurement's failure, as one sentence for the person who asked: the command line
/// prints it as `error: …`, a campaign records it against the item.
public struct MeasurementError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body`, turning any error into a `MeasurementError` with the error's own sentence.
@inline(__always)
func sentence<T>(_ body: () throws -> T) throws(MeasurementError) -> T {
    do { return try body() } catch let e as MeasurementError { throw e } catch { throw MeasurementError("\(error)") }
}
