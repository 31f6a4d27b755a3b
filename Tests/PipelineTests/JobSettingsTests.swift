import FrameRateJob
import LoopJob
import MediaIO
import Pipeline
import XCTest

/// `JobSettings`: one table gives a job's filter options, its chain parsing, its validation and
/// its CLI flags.
final class JobSettingsTests: XCTestCase {
    /// Every default in the derived table parses back to the default value, and the filter's
    /// table is the settings' table.
    func testDefaultsRoundTripThroughTheTable() throws {
        try checkDefaults(LoopSettings(), filter: LoopFilter.self, arguments: [])
        var fps = FpsSettings()
        fps.rate = Rational(60, 1)  // fps needs a rate
        try checkDefaults(fps, filter: FpsFilter.self, arguments: [(key: "fps", value: "60")])
    }

    private func checkDefaults<S: JobSettings & Equatable>(_ expected: S, filter: any VideoFilter.Type,
                                                           arguments: [(key: String?, value: String)]) throws {
        XCTAssertEqual(filter.options.map(\.name), S.fields.map(\.name))
        XCTAssertEqual(filter.options.map(\.typeDescription), S.options.map(\.typeDescription))
        XCTAssertEqual(try S(values: OptionParser.values(for: filter, arguments: arguments)), expected)
    }

    /// Settings set in code reach the filter exactly as the same values typed in a chain.
    func testChainTextAndTypedSettingsAgree() throws {
        var s = LoopSettings()
        s.mode = .crossfade
        s.k = 7
        s.tearGuard = 0.35
        s.drift = .remove
        s.workingSide = 200
        s.flowPreset = .fast
        let chain = "loop=mode=crossfade:k=7:guard=0.35:drift=remove:size=200:preset=fast"
        let parsed = try LoopSettings(values: OptionParser.values(for: LoopFilter.self, arguments:
            ChainParser.parse(chain)[0].arguments))
        XCTAssertEqual(parsed, s)
        var f = FpsSettings()
        f.rate = Rational(60000, 1001)
        f.method = .flow
        f.sceneThreshold = 0
        f.dedup = .off
        let fpsParsed = try FpsSettings(values: OptionParser.values(for: FpsFilter.self, arguments:
            ChainParser.parse("fps=fps=60000/1001:method=flow:scene=0:dedup=off")[0].arguments))
        XCTAssertEqual(fpsParsed, f)
    }

    /// A value out of range is refused by `validated()` and by the filter, naming the option;
    /// combinations are checked too.
    func testValidationNamesTheOption() {
        var s = LoopSettings()
        s.k = 2000
        XCTAssertThrowsError(try s.validated()) { error in
            guard case FilterError.invalidOption(_, let option, let reason)? = error as? FilterError else { return XCTFail("\(error)") }
            XCTAssertEqual(option, "k")
            XCTAssertTrue(reason.contains("0…1024"), reason)
        }
        XCTAssertThrowsError(try LoopFilter(settings: s))
        s = LoopSettings()
        s.amplitude = .nan
        XCTAssertThrowsError(try s.validated())
        s = LoopSettings()
        s.mode = .pingpong
        s.spectrumIn = "x.safetensors"
        XCTAssertThrowsError(try LoopFilter(settings: s), "a spectrum belongs to spectral mode")
        XCTAssertEqual(LoopSettings.flag(for: "guard"), "--tear-guard")
        XCTAssertEqual(LoopSettings.flag(for: "k"), "--k")
        var f = FpsSettings()
        XCTAssertThrowsError(try f.validated(), "neither fps nor factor")
        f.rate = Rational(60, 1)
        f.factor = Rational(2, 1)
        XCTAssertThrowsError(try f.validated(), "both fps and factor")
        f.rate = Rational(0, 1)
        f.factor = Rational(1, 2)
        XCTAssertThrowsError(try f.validated(), "a factor below 1")
        f.factor = Rational(2, 1)
        XCTAssertNoThrow(try FpsFilter(settings: f))
    }
}
