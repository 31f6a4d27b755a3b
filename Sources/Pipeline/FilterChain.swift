import MediaIO

/// A chain of filters negotiated for an input format and driven frame by frame into any sink
/// (an encoder, a GIF writer, nothing): what `PipelineRunner` runs between its reader and its
/// writer, public so every other driver gets the same checks.
///
/// At `init` each filter is configured with its predecessor's output format; a filter whose
/// `requiredPixelFormat(for:)` asks for another pixel format gets a `FormatConversion` in front
/// of it. While frames flow, every stage must emit strictly increasing pts in exactly the
/// format it announced, or the chain throws `FilterError.processing` naming the stage.
public struct FilterChain {
    /// The stages in order, inserted conversions included.
    public let filters: [any VideoFilter]
    /// `formats[i]` is the input format of stage `i`; the last is the chain's output format.
    public let formats: [StreamFormat]
    /// The part of the input's timeline the chain keeps (the stages' `keptTimeRange`s
    /// combined), nil when it keeps all of it.
    public let keptTimeRange: KeptTimeRange?
    private var lastPTS: [Int64?]

    /// The chain of `filters` for frames of `input`; throws what a stage's `configure` throws.
    public init(filters given: [any VideoFilter], input: StreamFormat) throws {
        var format = input
        var formats = [format]
        var stages: [any VideoFilter] = []
        var cut: KeptTimeRange?
        for filter in given {
            // A filter that cannot take this pixel format gets its frames converted first.
            if let needed = filter.requiredPixelFormat(for: format), needed != format.pixelFormat {
                let conversion = FormatConversion(to: needed)
                format = try conversion.configure(input: format)
                formats.append(format)
                stages.append(conversion)
            }
            stages.append(filter)
            format = try filter.configure(input: format)
            formats.append(format)
            if let range = filter.keptTimeRange { cut = cut.map { $0.then(range) } ?? range }
            // `then` uses the convenience operators: an unrepresentable combination is invalid.
            if let c = cut, !c.start.isValid || c.end?.isValid == false {
                throw FilterError.processing(filter: type(of: filter).name,
                                             reason: "its kept time range (\(c.start) s to \(c.end.map { "\($0) s" } ?? "the end")) cannot be represented exactly")
            }
        }
        filters = stages
        self.formats = formats
        keptTimeRange = cut
        lastPTS = Array(repeating: nil, count: stages.count + 1)
    }

    /// The format of the frames the chain emits.
    public var outputFormat: StreamFormat { formats[formats.count - 1] }
    /// True once some stage will emit nothing more (e.g. `trim` past its end).
    public var isFinished: Bool { filters.contains { $0.isFinished } }
    /// The stages' warnings, in order.
    public var warnings: [String] { filters.flatMap(\.warnings) }
    /// The stages' names, in order.
    public var names: [String] { filters.map { type(of: $0).name } }

    /// Pushes one input frame through every stage into `sink`.
    public mutating func push(_ frame: Frame, into sink: FrameSink) throws {
        try push(frame, at: 0, into: sink)
    }

    /// Flushes every stage in order (each stage's held frames go through the stages after it).
    public mutating func finish(into sink: FrameSink) throws {
        for index in filters.indices {
            var state = self
            try filters[index].finish { try state.push($0, at: index + 1, into: sink) }
            self = state
        }
    }

    private mutating func push(_ frame: Frame, at index: Int, into sink: FrameSink) throws {
        if index > 0 {
            let producer = type(of: filters[index - 1]).name
            if let last = lastPTS[index], frame.pts <= last {
                throw FilterError.processing(filter: producer, reason: "emitted pts \(frame.pts) after \(last); pts must increase strictly")
            }
            lastPTS[index] = frame.pts
            let announced = formats[index]
            guard frame.width == announced.width, frame.height == announced.height, frame.pixelFormat == announced.pixelFormat,
                  frame.timeBase == announced.timeBase else {
                throw FilterError.processing(filter: producer, reason: "emitted a \(frame.width)×\(frame.height) \(frame.pixelFormat) frame "
                    + "in time base \(frame.timeBase), but configure announced \(announced.width)×\(announced.height) "
                    + "\(announced.pixelFormat) in time base \(announced.timeBase)")
            }
        }
        if index == filters.count {
            try sink(frame)
            return
        }
        var state = self
        try filters[index].process(frame) { try state.push($0, at: index + 1, into: sink) }
        self = state
    }
}
