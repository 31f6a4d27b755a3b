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
                try printReport(types.map { t in
                    FilterReport(name: t.name, summary: t.summary,
                                 options: t.options.map { .init(name: $0.name, type: $0.typeDescription, default: $0.defaultValue, help: $0.help) })
                })
            } else {
                print(types.map { FilterRegistry.helpText(for: $0) }.joined(separator: "\n\n"))
            }
        }
    }
}

/// One filter in `filters --json`: its name, summary and option table (`default` null for a
/// required option).
struct FilterReport: Encodable {
    struct Option: Encodable {
        let name: String, type: String
        let `default`: String?
        let help: String
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: ReportKey.self)
            try c.value(name, "name")
            try c.value(type, "type")
            try c.value(`default`, "default")
            try c.value(help, "help")
        }
    }
    let name: String, summary: String
    let options: [Option]
}
