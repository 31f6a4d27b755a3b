import ArgumentParser
import Foundation
import Flow
import Spectral
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// The flow preset and the tracking mode parse as their own types, and `--help` lists them.
extension FlowEstimator.Preset: ExpressibleByArgument {}
extension TrajectoryMode: ExpressibleByArgument {}
extension LoopDrift: ExpressibleByArgument {}
extension LoopPeriod: ExpressibleByArgument {}
extension LoopOrigin: ExpressibleByArgument {}
extension LoopHoleFill: ExpressibleByArgument {}
extension FpsMethod: ExpressibleByArgument {}
extension FpsScenePolicy: ExpressibleByArgument {}
extension FpsFlowPreset: ExpressibleByArgument {}
extension FpsSampling: ExpressibleByArgument {}
extension FpsDedup: ExpressibleByArgument {}

/// `settings` checked against its job's table (`JobSettings.validated`): a value out of range
/// is a usage error naming the flag that set it.
func validatedFlags<S: JobSettings>(_ settings: S) throws -> S {
    do {
        return try settings.validated()
    } catch FilterError.invalidOption(_, let option, let reason) {
        throw ValidationError("\(S.flag(for: option)): \(reason)")
    }
}

/// A fault met while a command runs (not a misuse of its flags): one line on stderr and exit
/// status 1, without the usage text that ArgumentParser prints for a `ValidationError` (64).
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Refuses, before any work starts, an output file path the run could not put in place at the
/// end: an existing directory, a missing parent directory, or one that is not writable.
func checkOutputFile(_ path: String, option: String = "-o") throws {
    guard !path.isEmpty else { throw ValidationError("\(option): the output path is empty") }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw ValidationError("\(option) \(path) is a directory; give a file path such as \(path)/out.mp4")
    }
    let parent = (path as NSString).deletingLastPathComponent
    let folder = parent.isEmpty ? "." : parent
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("\(option) \(path): the directory \(folder) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: folder) else {
        throw ValidationError("\(option) \(path): the directory \(folder) is not writable")
    }
}

/// Mistyped subcommands and long options, caught before ArgumentParser sees the arguments
/// (which would report a missing required option instead of the misspelt one): the nearest
/// known name is suggested.
enum CommandLineSuggestions {
    /// A one-line message for the first unknown subcommand or long option of `arguments`
    /// (without the program name) that is close to a known one, or nil.
    static func problem(in arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = WarpFlowCommand.self
        var path = ["warpflow"]
        var index = 0
        // Subcommands: leading words that are not options.
        while index < arguments.count, !arguments[index].hasPrefix("-") {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { break }
            let word = arguments[index]
            if word == "help" { return nil }
            guard let next = subcommands.first(where: { $0.configuration.commandName == word }) else {
                let names = subcommands.compactMap { $0.configuration.commandName }
                guard let near = NearestName.nearest(word, in: names) else { return nil }
                return "unknown command '\(word)' for \(path.joined(separator: " ")); did you mean '\(near)'?"
            }
            command = next
            path.append(word)
            index += 1
        }
        guard command.configuration.subcommands.isEmpty else { return nil }
        let known = longOptions(of: command)
        for argument in arguments[index...] {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let name = String(argument.split(separator: "=", maxSplits: 1)[0])
            if !known.contains(name), let new = renamed[path.joined(separator: " ")]?[name] {
                return "\(path.joined(separator: " ")): '\(name)' is now '\(new)'"
            }
            guard !known.contains(name), let near = NearestName.nearest(name, in: Array(known)) else { continue }
            return "unknown option '\(name)' for \(path.joined(separator: " ")); did you mean '\(near)'?"
        }
        return nil
    }

    /// Options that were renamed so that one name means one thing in every command.
    static let renamed: [String: [String: String]] = [
        "warpflow loop": ["--size": "--working-side"],
        "warpflow dataset build": ["--preset": "--flow-preset", "--trajectory": "--tracking"],
    ]

    /// The long options a command's help lists.
    static func longOptions(of command: any ParsableCommand.Type) -> Set<String> {
        let help = WarpFlowCommand.helpMessage(for: command, columns: 1000)
        var names: Set<String> = ["--help", "--version"]
        var current = ""
        for ch in help + " " {
            if ch.isLetter || ch.isNumber || ch == "-" {
                current.append(ch)
            } else {
                if current.hasPrefix("--"), current.count > 2, current.dropFirst(2).first?.isLetter == true {
                    names.insert(current)
                }
                current = ""
            }
        }
        return names
    }
}

/// `--start` and `--duration` of the commands that read a video: the part of the input used
/// (seconds of the input's timeline), applied by a `trim` stage in front of the chain.
struct InputRangeOptions: ParsableArguments {
    @Option(help: "Start reading at this time of the input, in seconds.")
    var start: Double?
    @Option(help: "Read this many seconds of the input (default: to the end).")
    var duration: Double?

    func validate() throws {
        if let start, !(start.isFinite && start >= 0 && start <= 10_000_000) { throw ValidationError("--start must be 0…10000000 seconds, not \(start)") }
        if let duration, !(duration.isFinite && duration >= 0.001 && duration <= 10_000_000) {
            throw ValidationError("--duration must be 0.001…10000000 seconds, not \(duration)")
        }
    }

    /// The `trim` stage for the range of `input`, none when the whole input is read. Throws a
    /// `ValidationError` for a start at or past the input's end (when the file says where that is).
    func filters(for input: String) throws -> [any VideoFilter] {
        guard start != nil || duration != nil else { return [] }
        if let start, let end = try VideoReader.probe(path: input).durationSeconds, start >= end {
            throw ValidationError(String(format: "--start %g s is at or past the end of %@ (%.3f s)", start, input, end))
        }
        var options: [String: String] = [:]
        if let start { options["start"] = "\(start)" }
        if let duration { options["duration"] = "\(duration)" }
        return [try FilterRegistry.standard.makeFilter("trim", options: options)]
    }
}

/// `--threads`, one meaning everywhere: worker threads, 0 or absent for every processor.
struct ThreadOption: ParsableArguments {
    @Option(help: "Worker threads, 1…256 (default or 0: all processors).")
    var threads: Int?

    func validate() throws {
        if let threads, !(0...256).contains(threads) { throw ValidationError("--threads must be within 0…256, not \(threads)") }
    }

    /// The count asked for, nil for every processor.
    var count: Int? { threads.flatMap { $0 > 0 ? $0 : nil } }
}
