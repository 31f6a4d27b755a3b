import Foundation

/// A command-line mistake in a `warpflow-bench` subcommand: `main.swift` prints the message
/// and the subcommand's usage line, and exits with status 2.
struct BenchUsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The arguments of one subcommand, parsed by hand (the bench stays free of
/// swift-argument-parser): positional words, then `--name value` options from a known set.
struct BenchArguments {
    /// Words that are not options, in order.
    private(set) var positional: [String] = []
    private var values: [String: String] = [:]

    /// Parses `arguments`; throws `BenchUsageError` for an option outside `options` or one
    /// without a value.
    init(_ arguments: [String], options: Set<String>) throws {
        var i = 0
        while i < arguments.count {
            let word = arguments[i]
            if word.hasPrefix("--") {
                let name = String(word.dropFirst(2))
                guard options.contains(name) else {
                    throw BenchUsageError("unknown option \(word) (valid: \(options.sorted().map { "--" + $0 }.joined(separator: ", ")))")
                }
                guard i + 1 < arguments.count else { throw BenchUsageError("\(word) needs a value") }
                values[name] = arguments[i + 1]
                i += 2
            } else {
                positional.append(word)
                i += 1
            }
        }
    }

    /// The value of `--name`, if given.
    func string(_ name: String) -> String? { values[name] }

    /// The integer value of `--name` (`fallback` if absent); throws if it is not an integer
    /// within `range`.
    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw BenchUsageError("--\(name) \(text): expected an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }
}
