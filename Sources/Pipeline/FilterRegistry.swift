import MediaIO

/// The filters a chain can name. Start from `FilterRegistry()` and `register` types, or from
/// `FilterRegistry.standard` (the built-ins, defined in WarpFlowFilters) and add your own:
///
/// ```swift
/// var registry = FilterRegistry.standard
/// registry.register(InvertFilter.self)
/// let filters = try registry.makeChain("invert,scale=w=640:h=-2")
/// ```
public struct FilterRegistry {
    /// Registered filter types, in registration order.
    public private(set) var types: [any VideoFilter.Type] = []

    public init(_ types: [any VideoFilter.Type] = []) {
        for t in types { register(t) }
    }

    /// Adds a filter type; a later registration of the same name replaces the earlier one.
    public mutating func register(_ type: any VideoFilter.Type) {
        types.removeAll { $0.name == type.name }
        types.append(type)
    }

    /// The type registered under `name`.
    public func type(named name: String) -> (any VideoFilter.Type)? {
        types.first { $0.name == name }
    }

    /// Names of all registered filters.
    public var names: [String] { types.map { $0.name } }

    /// Parses a chain such as `scale=w=640:h=-2,blend=fps=60` and builds its filters.
    /// Throws `FilterError` for syntax errors, unknown filters or options, and bad values.
    public func makeChain(_ text: String) throws -> [any VideoFilter] {
        try ChainParser.parse(text).map { spec in
            guard let type = type(named: spec.name) else {
                throw FilterError.unknownFilter(name: spec.name, known: names)
            }
            return try type.init(options: OptionParser.values(for: type, arguments: spec.arguments))
        }
    }

    /// Builds one filter from `key=value` options (no chain syntax).
    public func makeFilter(_ name: String, options: [String: String] = [:]) throws -> any VideoFilter {
        guard let type = type(named: name) else { throw FilterError.unknownFilter(name: name, known: names) }
        let arguments = options.sorted { $0.key < $1.key }.map { (key: Optional($0.key), value: $0.value) }
        return try type.init(options: OptionParser.values(for: type, arguments: arguments))
    }

    /// Multi-line help for one filter: summary, then one line per option with type, range,
    /// default and help (the text `warpflow filters NAME` prints).
    public static func helpText(for type: any VideoFilter.Type) -> String {
        var lines = ["\(type.name): \(type.summary)"]
        let width = type.options.map { $0.name.count }.max() ?? 0
        for option in type.options {
            let padded = option.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let def = option.defaultValue.map { "default \($0.isEmpty ? "\"\"" : $0)" } ?? "required"
            lines.append("  \(padded)  \(option.typeDescription) (\(def)): \(option.help)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Turns the text arguments of one filter into typed, range-checked values using its table.
public enum OptionParser {
    /// Applies positional and named arguments to `type.options`, fills defaults, checks ranges.
    public static func values(for type: any VideoFilter.Type, arguments: [(key: String?, value: String)]) throws -> FilterOptionValues {
        let table = type.options
        var given: [String: String] = [:]
        var positional = 0
        for argument in arguments {
            let name: String
            if let key = argument.key {
                guard table.contains(where: { $0.name == key }) else {
                    throw FilterError.unknownOption(filter: type.name, option: key, known: table.map(\.name))
                }
                name = key
            } else {
                guard positional < table.count else {
                    throw FilterError.invalidOption(filter: type.name, option: "#\(positional + 1)",
                                                    reason: "too many positional values (the filter has \(table.count) options)")
                }
                name = table[positional].name
                positional += 1
            }
            guard given[name] == nil else {
                throw FilterError.invalidOption(filter: type.name, option: name, reason: "given more than once")
            }
            given[name] = argument.value
        }
        var values: [String: FilterOptionValue] = [:]
        for option in table {
            guard let text = given[option.name] ?? option.defaultValue else {
                throw FilterError.invalidOption(filter: type.name, option: option.name, reason: "required option is missing")
            }
            values[option.name] = try parse(text, as: option, filter: type.name)
        }
        return FilterOptionValues(filterName: type.name, values: values, explicitlySet: Set(given.keys))
    }

    /// Parses one value by its option's kind and range.
    public static func parse(_ text: String, as option: FilterOption, filter: String) throws -> FilterOptionValue {
        func bad(_ reason: String) -> FilterError {
            .invalidOption(filter: filter, option: option.name, reason: "\"\(text)\" \(reason)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch option.kind {
        case .int(let range):
            guard let v = Int(trimmed) else { throw bad("is not an integer") }
            guard range.contains(v) else { throw bad("is out of range \(range.lowerBound)…\(range.upperBound)") }
            return .int(v)
        case .double(let range):
            guard let v = Double(trimmed), v.isFinite else { throw bad("is not a number") }
            guard range.contains(v) else { throw bad("is out of range \(range.lowerBound)…\(range.upperBound)") }
            return .double(v)
        case .bool:
            switch trimmed.lowercased() {
            case "1", "true", "yes", "on": return .bool(true)
            case "0", "false", "no", "off": return .bool(false)
            default: throw bad("is not a boolean (use 1/0, true/false, yes/no, on/off)")
            }
        case .string:
            return .string(text)
        case .choice(let choices):
            guard choices.contains(trimmed) else { throw bad("is not one of \(choices.joined(separator: ", "))") }
            return .string(trimmed)
        case .rational(let range):
            let r: Rational
            do {
                r = try Rational.parse(trimmed)
            } catch RationalError.overflow {
                throw bad("does not fit an exact 64-bit fraction (valid range \(range.lowerBound)…\(range.upperBound))")
            } catch RationalError.undefined {
                throw bad("is not a rational number (zero denominator)")
            } catch {
                throw bad("is not a rational number such as 30000/1001 or 29.97 (at most 9 decimals)")
            }
            guard range.contains(r.doubleValue) else { throw bad("is out of range \(range.lowerBound)…\(range.upperBound)") }
            return .rational(r)
        }
    }
}

import Foundation
