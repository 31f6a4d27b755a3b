import ArgumentParser
import Foundation
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob

/// `warpflow filters [NAME]`: the plugins and their option tables.
struct FiltersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filters",
        abstract: "List the filter plugins and their options (name, type and range, default, help)."
    )

    @Argument(help: "Show only this filter.")
    var name: String?

    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    func run() throws {
        try runReportingErrors {
            let registry = FilterRegistry.standard
            var types = registry.types
            if let name {
                guard let t = registry.type(named: name) else {
                    throw FilterError.unknownFilter(name: name, known: registry.names)
                }
                types = [t]
            }
            if json {
                try printJSON(types.map { t in
                    ["name": t.name, "summary": t.summary,
                     "options": t.options.map { o in
                         ["name": o.name, "type": o.typeDescription, "default": o.defaultValue ?? NSNull(), "help": o.help] as [String: Any]
                     }] as [String: Any]
                })
            } else {
                print(types.map { FilterRegistry.helpText(for: $0) }.joined(separator: "\n\n"))
            }
        }
    }
}
