import MediaIO
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob
import WarpFlowTestSupport
import XCTest

/// Every built-in filter in the registry goes through `FilterVerifier` (format announced, pts
/// increasing, finish flushing, frame-by-frame and burst feeding alike, deterministic), with a
/// chain that exercises it on synthetic frames.
final class BuiltinContractTests: XCTestCase {
    /// One chain per registered filter; a filter added to the registry without one fails here.
    static let chains: [String: String] = [
        "null": "null",
        "scale": "scale=w=32:h=-2:format=yuv444p",
        "trim": "trim=start_frame=2:end_frame=10",
        "blend": "blend=fps=48",
        "fps": "fps=fps=48:method=flow:preset=ultrafast",
        "scenecut": "scenecut=threshold=10",
        "flow": "flow=preset=ultrafast",
        "loop": "loop=mode=pingpong:window=0.5",
    ]

    func testEveryBuiltinFilterKeepsTheContract() throws {
        let rate = Rational(24, 1)
        let input = StreamFormat(width: 64, height: 48, pixelFormat: .yuv420p, timeBase: rate.inverted, frameRate: rate, frameCount: nil)
        let frames = try FilterVerifier.syntheticFrames(input, count: 14)
        XCTAssertEqual(Set(FilterRegistry.standard.names), Set(Self.chains.keys), "every registered filter has a chain here")
        for name in FilterRegistry.standard.names {
            guard let chain = Self.chains[name] else { continue }
            do {
                let report = try FilterVerifier(input: input) { try FilterRegistry.standard.makeChain(chain)[0] }.verify(frames)
                XCTAssertFalse(report.frames.isEmpty, "\(chain) emitted nothing")
            } catch {
                XCTFail("\(chain): \(error)")
            }
        }
        // The loop's other modes too (spectral: motion resynthesised and splatted).
        for chain in ["loop=mode=crossfade:window=0.5:crossfade=0.1", "loop=mode=spectral:window=0.5:preset=ultrafast:k=4"] {
            XCTAssertNoThrow(try FilterVerifier(input: input) { try FilterRegistry.standard.makeChain(chain)[0] }.verify(frames), chain)
        }
    }
}
