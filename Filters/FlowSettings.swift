import Flow
import Pipeline

/// The `mode=` of the `flow` filter.
public enum FlowView: String, CaseIterable, Sendable {
    /// Every frame replaced by the colour-wheel picture of its flow.
    case color
    /// Frames passed through untouched (for `flo=`, `occ=` or a `sideOutput`).
    case pass
}

/// Everything the `flow` filter is told, as one typed value (the filter's option table and
/// chain parsing come from `fields`). `maximum` is pixels; "" means no file.
public struct FlowSettings: JobSettings, Equatable {
    public var preset = FlowEstimator.Preset.medium
    public var mode = FlowView.color
    /// Flow length shown fully saturated in colour mode, pixels; 0 = the largest in each frame.
    public var maximum = 0.0
    /// `.flo` pattern (`%d`/`%0Nd`) or directory; "" = none.
    public var flo = ""
    public var direction = FlowFilter.Direction.forward
    public var occlusion = false
    /// Occlusion PNG pattern or directory; "" = beside the `.flo` files.
    public var occ = ""
    /// Worker threads; 0 = all processors.
    public var threads = 0

    public init() {}

    public static let filterName = "flow"

    public static var fields: [SettingField<FlowSettings>] {[
        .choice("preset", \.preset, flag: "--flow-preset", help: "speed/accuracy preset of the estimator"),
        .choice("mode", \.mode, help: "color: replace frames by the colour-wheel view of their flow; pass: frames unchanged"),
        .double("max", \.maximum, 0...10_000, help: "flow length (pixels) shown fully saturated in color mode; 0 = largest in each frame"),
        .string("flo", \.flo,
                help: "save flows as .flo: a pattern with %d / %0Nd (frame index from 1) or a directory; backward flows get _backward before .flo; empty = none"),
        .choice("direction", \.direction, help: "forward: flow k-1 → k; backward: flow k → k-1; both (color mode shows forward)"),
        .bool("occlusion", \.occlusion,
              help: "occlusion masks by forward-backward check: PNGs (255 = occluded) to occ= or beside the .flo files; black in color mode"),
        .string("occ", \.occ, flag: "--occlusion", help: "occlusion PNGs: a pattern with %d / %0Nd or a directory (occ_000001.png); empty = beside the .flo files"),
        .int("threads", \.threads, 0...256, help: "worker threads for the estimator; 0 = all processors"),
    ]}

    private func fail(_ option: String, _ reason: String) -> FilterError {
        .invalidOption(filter: Self.filterName, option: option, reason: reason)
    }

    /// Refuses malformed `flo=`/`occ=` patterns, the same pattern for both, and `occ=` without
    /// `occlusion=1`.
    public func checkCombination() throws {
        if !occ.isEmpty && !occlusion { throw fail("occ", "occ= writes occlusion masks; add occlusion=1") }
        for (option, pattern) in [("flo", flo), ("occ", occ)] where pattern.contains("%") && FlowFileSink.substitute(pattern, index: 1) == nil {
            throw fail(option, "pattern \"\(pattern)\" must contain exactly one %d or %0Nd and no other %")
        }
        if flo.contains("%") && flo == occ {
            throw fail("occ", "the occ= pattern must differ from the flo= pattern (leave occ= empty to write masks beside the flows)")
        }
    }

    /// For a chain, where no `sideOutput` can receive the flows: refuses what would compute
    /// something nobody sees, `mode=pass` with nothing to write and `direction=both` in color
    /// mode with no file output (the backward flows would be discarded).
    public func checkSomethingIsSeen() throws {
        let writesMasks = occlusion && !(flo.isEmpty && occ.isEmpty)
        if mode == .pass && flo.isEmpty && !writesMasks {
            throw fail("mode", "mode=pass without flo= (or occlusion=1 with occ=) would do nothing; give flo=pattern or use mode=color")
        }
        if mode == .color && direction == .both && flo.isEmpty && !writesMasks {
            throw fail("direction", "direction=both in color mode shows only the forward flow; give flo= (or occlusion=1 with occ=) to save the backward flows, or use direction=forward")
        }
    }
}
