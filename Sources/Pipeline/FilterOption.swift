import MediaIO

/// One row of a filter's option table: name, type with its valid range, default and help.
/// The table drives the chain parser, validation and the help text of `warpflow filters`,
/// like the `AVOption` tables of libavfilter.
public struct FilterOption: Sendable {
    /// The value type of an option and its valid range.
    public enum Kind: Sendable {
        /// Integer in a closed range.
        case int(ClosedRange<Int>)
        /// Real number in a closed range.
        case double(ClosedRange<Double>)
        /// `1/0`, `true/false`, `yes/no`, `on/off`.
        case bool
        /// Free text.
        case string
        /// One of a fixed set of words.
        case choice([String])
        /// Exact rational such as `30000/1001`, `60` or `29.97`, in a closed range.
        case rational(ClosedRange<Double>)
    }

    public var name: String
    public var kind: Kind
    /// Default value as text (parsed like user input); nil means the option is required.
    public var defaultValue: String?
    /// One line of help, with units.
    public var help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String?, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// Human-readable type and range, e.g. "int 1…8192".
    public var typeDescription: String {
        switch kind {
        case .int(let r): return "int \(r.lowerBound)…\(r.upperBound)"
        case .double(let r): return "float \(r.lowerBound)…\(r.upperBound)"
        case .bool: return "bool"
        case .string: return "string"
        case .choice(let c): return c.joined(separator: "|")
        case .rational(let r): return "rational \(r.lowerBound)…\(r.upperBound)"
        }
    }
}

/// A parsed, range-checked option value.
public enum FilterOptionValue: Hashable, Sendable {
    case int(Int), double(Double), bool(Bool), string(String), rational(Rational)
}

/// The values of a filter's options after parsing: every option in the table has a value
/// (given or default), except required options that were not given.
public struct FilterOptionValues: Sendable {
    /// The filter these values belong to (for error messages).
    public let filterName: String
    /// Values by option name.
    public private(set) var values: [String: FilterOptionValue]
    /// Names the user set explicitly (as opposed to defaults).
    public private(set) var explicitlySet: Set<String>

    public init(filterName: String, values: [String: FilterOptionValue], explicitlySet: Set<String>) {
        self.filterName = filterName
        self.values = values
        self.explicitlySet = explicitlySet
    }

    public func int(_ name: String) throws -> Int {
        guard case .int(let v)? = values[name] else { throw missing(name) }
        return v
    }
    public func double(_ name: String) throws -> Double {
        switch values[name] {
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw missing(name)
        }
    }
    public func bool(_ name: String) throws -> Bool {
        guard case .bool(let v)? = values[name] else { throw missing(name) }
        return v
    }
    /// Text of a `.string` or `.choice` option.
    public func string(_ name: String) throws -> String {
        guard case .string(let v)? = values[name] else { throw missing(name) }
        return v
    }
    /// A `.choice` option as its type: throws `FilterError.invalidOption` naming the option when
    /// the text is not one of `T`'s cases (a table and a type that disagree), never a default.
    public func choice<T: RawRepresentable>(_ name: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let text = try string(name)
        guard let value = T(rawValue: text) else {
            throw FilterError.invalidOption(filter: filterName, option: name, reason: "\"\(text)\" is not a \(T.self)")
        }
        return value
    }
    public func rational(_ name: String) throws -> Rational {
        guard case .rational(let v)? = values[name] else { throw missing(name) }
        return v
    }
    /// True when the user gave `name` in the chain (not the default).
    public func isSet(_ name: String) -> Bool { explicitlySet.contains(name) }

    private func missing(_ name: String) -> FilterError {
        .invalidOption(filter: filterName, option: name, reason: "missing value")
    }
}

/// Errors from building or running filters and chains.
public enum FilterError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The chain text is malformed at `position` (a character offset).
    case syntax(chain: String, position: Int, reason: String)
    /// No filter by that name; `known` lists the valid names.
    case unknownFilter(name: String, known: [String])
    /// No option by that name; `known` lists the valid ones.
    case unknownOption(filter: String, option: String, known: [String])
    /// A value that does not parse or is out of range.
    case invalidOption(filter: String, option: String, reason: String)
    /// The filter cannot handle this input format.
    case unsupportedInput(filter: String, reason: String)
    /// A failure while processing frames.
    case processing(filter: String, reason: String)

    public var description: String {
        switch self {
        case .syntax(let chain, let pos, let reason):
            return "filter chain \"\(chain)\": \(reason) at character \(pos + 1)"
        case .unknownFilter(let name, let known):
            return "unknown filter \"\(name)\"" + (NearestName.nearest(name, in: known).map { "; did you mean \"\($0)\"?" } ?? "")
                + "; available: \(known.joined(separator: ", "))"
        case .unknownOption(let filter, let option, let known):
            return "filter \(filter): unknown option \"\(option)\"" + (NearestName.nearest(option, in: known).map { "; did you mean \"\($0)\"?" } ?? "")
                + "; valid options: \(known.joined(separator: ", "))"
        case .invalidOption(let filter, let option, let reason):
            return "filter \(filter): option \(option): \(reason)"
        case .unsupportedInput(let filter, let reason):
            return "filter \(filter): cannot handle input: \(reason)"
        case .processing(let filter, let reason):
            return "filter \(filter): \(reason)"
        }
    }
}
