import ArgumentParser
import Foundation
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// The `warpflow` command-line tool: thin subcommands that build a pipeline and run it.
@main
struct WarpFlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warpflow",
        abstract: "Video motion toolkit: frame-rate upscaling, filter chains, optical flow, motion training sets, seamless loops.",
        discussion: """
        Examples:
          warpflow probe clip.mp4
          warpflow fps clip.mp4 -o smooth.mp4 --fps 60
          warpflow run clip.mp4 -o out.mp4 -vf blend=fps=60
          warpflow flow clip.mp4 -o flow.mp4 --flow-preset fast
          warpflow dataset build clips/ -o dataset
          warpflow loop tree.mp4 -o loop.mp4 --duration 4 --gif
          warpflow filters scale
        """,
        version: "0.1.0",
        subcommands: [ProbeCommand.self, FpsCommand.self, RunCommand.self, FlowCommand.self, DatasetCommand.self, LoopCommand.self, AnimateCommand.self, PokeCommand.self, FiltersCommand.self]
    )

    static func main() {
        Interrupts.install()
        if let problem = CommandLineSuggestions.problem(in: Array(CommandLine.arguments.dropFirst())) {
            printError("warpflow: error: " + problem)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        main(nil)
    }
}

/// Flags every subcommand that prints results shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    @Flag(name: [.short, .long], help: "No progress bar or progress notes (the result line and warnings stay).")
    var quiet = false
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs `body`, turning library errors (and `CommandError`) into one line on stderr and exit
/// code 1 (128 + the signal for a run a signal cancelled), as a command-line user expects; a
/// `ValidationError` (a misuse of the flags) keeps ArgumentParser's usage text and status 64.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as PipelineError where error == .cancelled {
        printError("warpflow: cancelled; no output written")
        throw ExitCode(Interrupts.exitCode)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("warpflow: error: \(error)")
        throw ExitCode(1)
    }
}
