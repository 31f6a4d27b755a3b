import MediaIO

/// A job's settings as one typed value: every field has a row (`SettingField`) that gives its
/// filter option (name, type, range, help), its command-line flag and the key path it writes.
/// The default is the field's value in `init()`. The one table drives the filter's option table
/// (`options`), the chain parser (`init(values:)`), validation of a value built in code or from
/// flags (`validated()`) and the help of both.
public protocol JobSettings: Sendable {
    /// The defaults.
    init()
    /// The filter these settings configure (for error messages).
    static var filterName: String { get }
    /// One row per field, in the order `warpflow filters` lists them.
    static var fields: [SettingField<Self>] { get }
    /// Rules between fields (each field already in range); throws `FilterError.invalidOption`
    /// naming the option at fault. The default accepts everything.
    func checkCombination() throws
}

extension JobSettings {
    public func checkCombination() throws {}

    /// The filter's option table, defaults taken from `init()`.
    public static var options: [FilterOption] {
        let defaults = Self()
        return fields.map { $0.option(default: defaults) }
    }

    /// Settings from parsed chain values (every option of `options` present).
    public init(values: FilterOptionValues) throws {
        self.init()
        for field in Self.fields {
            guard let value = values.values[field.name] else {
                throw FilterError.invalidOption(filter: Self.filterName, option: field.name, reason: "missing value")
            }
            try field.write(&self, value)
        }
    }

    /// These settings, every field checked against its option's range. Throws
    /// `FilterError.invalidOption` naming the option (`flag(for:)` gives its CLI name).
    public func validated() throws -> Self {
        for field in Self.fields {
            if let reason = field.option(default: self).problem(with: field.read(self)) {
                throw FilterError.invalidOption(filter: Self.filterName, option: field.name, reason: reason)
            }
        }
        try checkCombination()
        return self
    }

    /// The CLI flag of option `name` (`--name` unless the row says otherwise).
    public static func flag(for name: String) -> String {
        fields.first { $0.name == name }?.flag ?? "--\(name)"
    }

    /// The help of option `name` with its range (numbers), for a CLI flag; the argument parser
    /// adds the default and the choices itself.
    public static func help(_ name: String) -> String {
        guard let field = fields.first(where: { $0.name == name }) else { return "" }
        switch field.kind {
        case .int(let r): return "\(field.help) (\(r.lowerBound)…\(r.upperBound))"
        case .double(let r): return "\(field.help) (\(FilterOption.text(r)))"
        default: return field.help
        }
    }
}

/// One field of a `JobSettings` value: its option name, kind (with range), help and CLI flag,
/// and how it is read and written.
public struct SettingField<Settings>: @unchecked Sendable {
    /// The option name in chains (`k`, `mode`).
    public let name: String
    /// The CLI flag that sets it (`--k`, `--flow-preset`).
    public let flag: String
    let kind: FilterOption.Kind
    let help: String
    let read: @Sendable (Settings) -> FilterOptionValue
    let write: @Sendable (inout Settings, FilterOptionValue) throws -> Void

    private init(_ name: String, _ kind: FilterOption.Kind, flag: String?, help: String,
                 read: @escaping @Sendable (Settings) -> FilterOptionValue,
                 write: @escaping @Sendable (inout Settings, FilterOptionValue) throws -> Void) {
        self.name = name
        self.kind = kind
        self.flag = flag ?? "--\(name)"
        self.help = help
        self.read = read
        self.write = write
    }

    /// The option row, its default rendered from `defaults`.
    func option(default defaults: Settings) -> FilterOption {
        FilterOption(name, kind, default: read(defaults).text, help: help)
    }

    private static func mismatch(_ name: String) -> FilterError {
        .invalidOption(filter: "settings", option: name, reason: "value of the wrong type")
    }

    /// An integer field in `range`.
    public static func int(_ name: String, _ path: WritableKeyPath<Settings, Int> & Sendable, _ range: ClosedRange<Int>,
                           flag: String? = nil, help: String) -> Self {
        Self(name, .int(range), flag: flag, help: help, read: { .int($0[keyPath: path]) }, write: { s, v in
            guard case .int(let x) = v else { throw mismatch(name) }
            s[keyPath: path] = x
        })
    }

    /// A real field in `range` (finite).
    public static func double(_ name: String, _ path: WritableKeyPath<Settings, Double> & Sendable, _ range: ClosedRange<Double>,
                              flag: String? = nil, help: String) -> Self {
        Self(name, .double(range), flag: flag, help: help, read: { .double($0[keyPath: path]) }, write: { s, v in
            switch v {
            case .double(let x): s[keyPath: path] = x
            case .int(let x): s[keyPath: path] = Double(x)
            default: throw mismatch(name)
            }
        })
    }

    /// A yes/no field.
    public static func bool(_ name: String, _ path: WritableKeyPath<Settings, Bool> & Sendable, flag: String? = nil, help: String) -> Self {
        Self(name, .bool, flag: flag, help: help, read: { .bool($0[keyPath: path]) }, write: { s, v in
            guard case .bool(let x) = v else { throw mismatch(name) }
            s[keyPath: path] = x
        })
    }

    /// A free-text field (a path; empty = none).
    public static func string(_ name: String, _ path: WritableKeyPath<Settings, String> & Sendable, flag: String? = nil, help: String) -> Self {
        Self(name, .string, flag: flag, help: help, read: { .string($0[keyPath: path]) }, write: { s, v in
            guard case .string(let x) = v else { throw mismatch(name) }
            s[keyPath: path] = x
        })
    }

    /// An exact rational field in `range` (`Rational`, e.g. a frame rate).
    public static func rational(_ name: String, _ path: WritableKeyPath<Settings, Rational> & Sendable, _ range: ClosedRange<Double>,
                                flag: String? = nil, help: String) -> Self {
        Self(name, .rational(range), flag: flag, help: help, read: { .rational($0[keyPath: path]) }, write: { s, v in
            guard case .rational(let x) = v else { throw mismatch(name) }
            s[keyPath: path] = x
        })
    }

    /// One of an enumeration's cases, by raw value.
    public static func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ path: WritableKeyPath<Settings, T> & Sendable,
                                                                  flag: String? = nil, help: String) -> Self where T.RawValue == String {
        Self(name, .choice(T.allCases.map(\.rawValue)), flag: flag, help: help, read: { .string($0[keyPath: path].rawValue) }, write: { s, v in
            guard case .string(let x) = v, let value = T(rawValue: x) else { throw mismatch(name) }
            s[keyPath: path] = value
        })
    }
}

extension FilterOptionValue {
    /// The value as chain text (what `OptionParser.parse` reads back to the same value).
    var text: String {
        switch self {
        case .int(let v): return "\(v)"
        case .double(let v): return v == v.rounded() && abs(v) < 1e15 ? "\(Int(v))" : "\(v)"
        case .bool(let v): return v ? "1" : "0"
        case .string(let v): return v
        case .rational(let v): return v.description
        }
    }
}

extension FilterOption {
    /// A real range as chain text, `0…100` rather than `0.0…100.0`.
    static func text(_ r: ClosedRange<Double>) -> String {
        "\(FilterOptionValue.double(r.lowerBound).text)…\(FilterOptionValue.double(r.upperBound).text)"
    }

    /// Why `value` is not valid for this option (a sentence fragment), or nil when it is.
    public func problem(with value: FilterOptionValue) -> String? {
        switch (kind, value) {
        case (.int(let r), .int(let v)):
            return r.contains(v) ? nil : "\(v) is out of range \(r.lowerBound)…\(r.upperBound)"
        case (.double(let r), .double(let v)):
            guard v.isFinite else { return "\(v) is not a finite number" }
            return r.contains(v) ? nil : "\(value.text) is out of range \(Self.text(r))"
        case (.double(let r), .int(let v)):
            return r.contains(Double(v)) ? nil : "\(v) is out of range \(Self.text(r))"
        case (.bool, .bool), (.string, .string):
            return nil
        case (.choice(let choices), .string(let v)):
            return choices.contains(v) ? nil : "\"\(v)\" is not one of \(choices.joined(separator: ", "))"
        case (.rational(let r), .rational(let v)):
            return r.contains(v.doubleValue) ? nil : "\(v) is out of range \(r.lowerBound)…\(r.upperBound)"
        default:
            return "a value of the wrong type"
        }
    }
}
