// warpflow-bench: the Swift side of `make bench`. Each subcommand (one file each) times one
// warpflow capability and writes JSON; the scripts in Tests/Benchmarks run the peers (ffmpeg
// CLI, OpenCV) in the same run and print the side-by-side tables.
import Foundation

/// Subcommand name → (entry point taking the remaining arguments, usage line).
let subcommands: [String: (run: ([String]) throws -> Int32, usage: String)] = [
    "decode": (DecodeBench.run, "decode FILE [--threads N] [--to rgb|luma|native] [--json OUT]"),
    "flow": (FlowBench.run, FlowBench.usage),
    "dft": (DFTBench.run, DFTBench.usage),
    "f16": (HalfBench.run, HalfBench.usage),
]

func printUsage(_ subcommands: [String: (run: ([String]) throws -> Int32, usage: String)]) {
    let lines = subcommands.sorted { $0.key < $1.key }.map { "  warpflow-bench \($0.value.usage)" }
    FileHandle.standardError.write(Data(("usage:\n" + lines.joined(separator: "\n") + "\n").utf8))
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let command = subcommands[name] else {
    printUsage(subcommands)
    exit(2)
}
do {
    exit(try command.run(Array(arguments.dropFirst())))
} catch let error as BenchUsageError {
    FileHandle.standardError.write(Data("warpflow-bench \(name): \(error)\nusage: warpflow-bench \(command.usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("warpflow-bench \(name): error: \(error)\n".utf8))
    exit(1)
}
