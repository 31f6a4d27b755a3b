/// Errors thrown by the Raster module's checked entry points (displacement fields, splatting, hole filling).
/// `description` is one line for users naming the input and the problem.
public enum RasterError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A plane that must match another's size does not (`what` names it).
    case sizeMismatch(what: String, expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// A parameter is outside its valid range.
    case invalidParameter(name: String, value: String, expected: String)
    /// Values that must be finite hold NaN or infinities (`what` names them).
    case nonFinite(what: String)

    /// The error as one line for users.
    public var description: String {
        switch self {
        case let .sizeMismatch(what, ew, eh, w, h):
            return "\(what) is \(w)×\(h); expected \(ew)×\(eh)"
        case let .invalidParameter(name, value, expected):
            return "\(name) = \(value) is invalid; expected \(expected)"
        case let .nonFinite(what):
            return "\(what) holds NaN or infinite values"
        }
    }
}

