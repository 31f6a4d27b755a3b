import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob
import XCTest

final class ChainParserTests: XCTestCase {
    let registry = FilterRegistry.standard

    func testNamedPositionalQuotedAndEscapedValues() throws {
        let specs = try ChainParser.parse(" scale=640:h=-2:flags=lanczos , blend=fps=30000/1001,null,x=a='b,c:d'\\,e")
        XCTAssertEqual(specs.map(\.name), ["scale", "blend", "null", "x"])
        XCTAssertEqual(specs[0].arguments.map(\.key), [nil, "h", "flags"])
        XCTAssertEqual(specs[0].arguments.map(\.value), ["640", "-2", "lanczos"])
        XCTAssertEqual(specs[1].arguments.first?.value, "30000/1001")
        XCTAssertTrue(specs[2].arguments.isEmpty)
        XCTAssertEqual(specs[3].arguments.count, 1)
        XCTAssertEqual(specs[3].arguments[0].key, "a")
        XCTAssertEqual(specs[3].arguments[0].value, "b,c:d,e")
    }

    func testChainBuildsTypedFiltersWithDefaultsAndPositionals() throws {
        let filters = try registry.makeChain("scale=320:-2,blend=60000/1001,trim=start_frame=2")
        let scale = try XCTUnwrap(filters[0] as? ScaleFilter)
        XCTAssertEqual(scale.requestedWidth, 320)
        XCTAssertEqual(scale.requestedHeight, -2)
        XCTAssertEqual(scale.algorithm, .bicubic)
        XCTAssertEqual((filters[1] as? BlendFilter)?.rate, Rational(60000, 1001))
        XCTAssertEqual((filters[2] as? TrimFilter)?.startFrame, 2)
        XCTAssertEqual(try registry.makeChain("blend=fps=29.97").first.flatMap { $0 as? BlendFilter }?.rate, Rational(2997, 100))
    }

    func testSyntaxErrorsCarryPosition() {
        assertError("", contains: "empty filter chain")
        assertError("null,,null", contains: "missing filter name")
        assertError("scale=w=1:", contains: "empty option")
        assertError("scale='640", contains: "unterminated quote")
        assertError("sc@le", contains: "invalid filter name")
        if case .syntax(_, let position, _)? = error(of: "null,,null") {
            XCTAssertEqual(position, 5)
        } else {
            XCTFail("expected a syntax error")
        }
    }

    func testUnknownFilterAndOptionListWhatIsValid() {
        assertError("nul", contains: "unknown filter \"nul\"; did you mean \"null\"?; available: null, scale, trim, blend")
        assertError("scale=width=3", contains: "unknown option \"width\"; valid options: w, h, flags, format")
        assertError("scale=fromat=yuv444p", contains: "unknown option \"fromat\"; did you mean \"format\"?")
        assertError("lop=mode=pingpong", contains: "did you mean \"loop\"?")
    }

    func testBadValuesStateTheProblem() {
        assertError("scale=w=abc", contains: "\"abc\" is not an integer")
        assertError("scale=w=99999", contains: "out of range -2…16384")
        assertError("scale=flags=magic", contains: "is not one of bilinear")
        assertError("blend", contains: "fps: required option is missing")
        assertError("blend=fps=0", contains: "out of range")
        assertError("blend=fps=1/0", contains: "not a rational")
        assertError("null=5", contains: "too many positional values")
        assertError("scale=w=2:w=4", contains: "given more than once")
        assertError("scale=-1:-1", contains: "cannot both keep the aspect ratio")
        assertError("trim=start_frame=5:end_frame=3", contains: "must be greater than start_frame")
        assertError("trim=start=1:start_frame=3", contains: "not both")
        assertError("scale=format=yuv999", contains: "unknown pixel format")
    }

    func testHelpTextComesFromTheOptionTable() {
        let help = FilterRegistry.helpText(for: ScaleFilter.self)
        XCTAssertTrue(help.hasPrefix("scale: "))
        XCTAssertTrue(help.contains("w       int -2…16384 (default 0)"), help)
        XCTAssertTrue(FilterRegistry.helpText(for: BlendFilter.self).contains("(required)"))
    }

    func testThirdPartyRegistrationReplacesAndExtends() throws {
        final class Twice: VideoFilter {
            static let name = "null"
            static let summary = "test double registration"
            static let options: [FilterOption] = [FilterOption("n", .int(1...3), default: "2", help: "copies")]
            init(options: FilterOptionValues) throws {}
            func configure(input: StreamFormat) throws -> StreamFormat { input }
            func process(_ frame: Frame, emit: FrameSink) throws { try emit(frame) }
        }
        var custom = registry
        custom.register(Twice.self)
        XCTAssertEqual(custom.names.filter { $0 == "null" }.count, 1)
        XCTAssertTrue(try custom.makeChain("null=3").first is Twice)
    }

    private func error(of chain: String) -> FilterError? {
        do { _ = try registry.makeChain(chain); return nil } catch { return error as? FilterError }
    }

    private func assertError(_ chain: String, contains text: String, line: UInt = #line) {
        guard let e = error(of: chain) else { return XCTFail("chain \"\(chain)\" was accepted", line: line) }
        XCTAssertTrue(e.description.contains(text), "\"\(e.description)\" lacks \"\(text)\"", line: line)
    }
}
