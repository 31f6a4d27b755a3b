/// The filters a chain can name. Start from `FilterRegistry()` and `register` types, or from
/// `FilterRegistry.standard` (built-ins, defined in WarpFlowFilters) and add your own.
public struct FilterRegistry {
    /// Registered filter types by name, in registration order.
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
    public func makeChain(_ text: String) throws -> [any VideoFilter] {
        throw FilterError.syntax(chain: text, position: 0, reason: "chain parser not implemented yet")
    }
}
