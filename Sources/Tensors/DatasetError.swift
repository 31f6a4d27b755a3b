/// Errors of the dataset builder and its file formats. `description` is one line for users
/// that names the file or option and the problem.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file, directory or option the error is about.
    public var subject: String
    /// What is wrong, as a sentence fragment.
    public var problem: String

    public init(_ subject: String, _ problem: String) {
        self.subject = subject
        self.problem = problem
    }

    public var description: String { "\(subject): \(problem)" }
}
