// warpflow-bench: the Swift side of `make bench`. Each subcommand times one warpflow
// capability and prints JSON; the scripts in Tests/Benchmarks run the peers (ffmpeg CLI,
// OpenCV) in the same run and print the side-by-side tables.
import Foundation

let subcommands: [String: ([String]) throws -> Int32] = [
    "decode": DecodeBench.run,
    "flow": FlowBench.run,
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let command = subcommands[name] else {
    FileHandle.standardError.write(Data("usage: warpflow-bench \(subcommands.keys.sorted().joined(separator: "|")) ARGS…\n".utf8))
    exit(2)
}
do {
    exit(try command(Array(arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("warpflow-bench \(name): error: \(error)\n".utf8))
    exit(1)
}
