/// Errors thrown by the Motion module: bad images handed to the flow estimator, bad parameters,
/// and unreadable or malformed `.flo` files. `description` is a complete sentence for users.
public enum MotionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Two images (or flows) that must have the same size do not.
    case sizeMismatch(what: String, firstWidth: Int, firstHeight: Int, secondWidth: Int, secondHeight: Int)
    /// An image is smaller than the estimator can work on.
    case imageTooSmall(width: Int, height: Int, minimumSide: Int)
    /// An input image contains NaN or infinite samples.
    case nonFiniteInput(what: String)
    /// A tunable parameter is out of its valid range.
    case invalidParameter(name: String, value: String, expected: String)
    /// A `.flo` file could not be read or written, or is not a valid Middlebury flow file.
    case floFile(path: String, problem: String)

    /// The error as one line for users, naming the file or input and the problem.
    public var description: String {
        switch self {
        case let .sizeMismatch(what, w0, h0, w1, h1):
            return "\(what) differ in size: \(w0)×\(h0) vs \(w1)×\(h1)"
        case let .imageTooSmall(w, h, minimum):
            return "image is \(w)×\(h); optical flow needs at least \(minimum)×\(minimum) pixels"
        case let .nonFiniteInput(what):
            return "\(what) contains NaN or infinite samples"
        case let .invalidParameter(name, value, expected):
            return "parameter \(name) = \(value) is invalid; expected \(expected)"
        case let .floFile(path, problem):
            return "\(path): \(problem)"
        }
    }
}
