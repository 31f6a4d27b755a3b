import FrameRateJob
import LoopJob
import Pipeline

/// The built-in filter plugins, in the order `warpflow filters` lists them. Add a new
/// built-in here, once.
public var builtins: [any VideoFilter.Type] {[
    NullFilter.self,
    ScaleFilter.self,
    TrimFilter.self,
    BlendFilter.self,
    FpsFilter.self,
    SceneCutFilter.self,
    FlowFilter.self,
    LoopFilter.self,
]}

extension FilterRegistry {
    /// A registry holding every built-in filter; extend it with `register(_:)`.
    public static var standard: FilterRegistry { FilterRegistry(builtins) }
}
