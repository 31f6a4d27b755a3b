import Foundation
import Pipeline
import WarpFlowFilters
import FrameRateJob
import LoopJob
import WarpFlowTestSupport
import XCTest

/// A run over damaged input that reports success has written a file that decodes (by ffprobe)
/// to exactly the frames it reports, with strictly increasing timestamps.
final class DamagedInputRunTests: XCTestCase {
    let registry = FilterRegistry.standard

    /// Runs `chain` over `input` and checks the output with ffprobe; returns the result and
    /// the decoded frames' sizes.
    func runVerified(_ input: String, _ chain: String, output name: String, file: StaticString = #filePath, line: UInt = #line) throws -> (PipelineResult, [String]) {
        let output = TestMedia.path(name)
        let result = try PipelineRunner(input: input, output: output, filters: registry.makeChain(chain),
                                        settings: EncoderSettings(preset: "ultrafast")).run()
        let probe = try DamagedMedia.ffprobeVideo(output)
        XCTAssertEqual(probe.decodedFrames, result.framesOut, "frames ffprobe decodes vs frames reported", file: file, line: line)
        XCTAssertEqual(probe.packets.count, result.framesOut, "packets", file: file, line: line)
        XCTAssertTrue(DamagedMedia.strictlyIncreasing(probe.packets.map(\.dts)), "dts \(probe.packets.map(\.dts))", file: file, line: line)
        XCTAssertTrue(DamagedMedia.strictlyIncreasing(probe.packets.map(\.pts).sorted { ($0 ?? .min) < ($1 ?? .min) }),
                      "pts", file: file, line: line)
        return (result, probe.sizes)
    }

    /// The silent failure: a damaged DTS about 2²⁸ ticks back. The run must write all
    /// 100 frames, decodable, and say what it repaired.
    func testDamagedDTSJumpRunDecodesToTheReportedFrames() throws {
        let input = try DamagedMedia.transportStream(name: "run-dts-jump.ts") { index, _ in index == 10 ? .shift(-(1 << 28)) : .keep }
        let (result, _) = try runVerified(input, "null", output: "run-dts-jump.mp4")
        XCTAssertEqual(result.framesIn, 100)
        XCTAssertEqual(result.framesOut, 100)
        XCTAssertEqual(result.decodeStats.timestampDiscontinuities, 2)
        XCTAssertTrue(result.warnings.contains("input timestamps repaired: 2 discontinuities re-timed (1 frame shifted)"), "\(result.warnings)")
        // The output lasts as long as the clip, not 25 hours.
        let duration = Double(try XCTUnwrap(TestMedia.ffprobeStreams(TestMedia.path("run-dts-jump.mp4"), type: "video").first?["duration"] as? String)) ?? -1
        XCTAssertEqual(duration, 4, accuracy: 0.05)
    }

    /// A corrupt timestamp 1000 s ahead must not make a rate changer fill the gap: `blend` at
    /// twice the rate gives twice the frames, not 50 000 more.
    func testFarForwardJumpDoesNotFloodARateChanger() throws {
        let input = try DamagedMedia.forwardJumpMP4(name: "run-forward-jump.mp4")
        let (result, _) = try runVerified(input, "blend=fps=50", output: "run-forward-jump-blend.mp4")
        XCTAssertEqual(result.framesIn, 100)
        XCTAssertEqual(result.framesOut, 200)
        XCTAssertEqual(result.decodeStats.framesRetimed, 90)
    }

    /// A resolution change mid-stream (two transport streams of different sizes joined): every
    /// chain keeps working, all frames come out at the first size (or the chain's), and the
    /// warning counts the frames scaled.
    func testResolutionChangeMidStreamKeepsEveryChainWorking() throws {
        let input = try DamagedMedia.concatenatedSizes(name: "run-joined.ts")
        let expected = "input size or pixel format changed mid-stream: 25 frames scaled (bicubic) to the stream's 160×120 yuv420p"
        for (chain, size) in [("null", "160×120"), ("scale=w=320:h=240", "320×240"), ("blend=fps=50", "160×120")] {
            let (result, sizes) = try runVerified(input, chain, output: "run-joined-\(chain.prefix(5)).mp4")
            XCTAssertEqual(result.framesIn, 50, chain)
            XCTAssertEqual(result.framesOut, chain.hasPrefix("blend") ? 100 : 50, chain)
            XCTAssertEqual(Set(sizes), [size], chain)
            XCTAssertEqual(result.decodeStats.framesRescaled, 25, chain)
            XCTAssertTrue(result.warnings.contains(expected), "\(chain): \(result.warnings)")
        }
    }

    /// The same with audio: the audio clock restarts at the join too and is re-timed, so it is
    /// copied (a muxer refuses a dts that goes back) and lasts as long as the video.
    func testResolutionChangeWithAudioKeepsTheAudio() throws {
        let input = try DamagedMedia.concatenatedSizes(name: "run-joined-audio.ts", audio: true)
        let (result, _) = try runVerified(input, "null", output: "run-joined-audio.mp4")
        XCTAssertEqual(result.framesOut, 50)
        XCTAssertGreaterThan(result.audioPacketsCopied, 80)
        let audio = try XCTUnwrap(TestMedia.ffprobeStreams(TestMedia.path("run-joined-audio.mp4"), type: "audio").first)
        XCTAssertEqual(Double(audio["duration"] as? String ?? "") ?? -1, 2, accuracy: 0.1)
    }

    /// A transport stream whose clock wraps 1 s in starts at −1 s: formerly a run reported
    /// 50 frames while MP4's edit list hid the first 25. The video and its audio are moved to
    /// start at 0 together.
    func testInputStartingBeforeZeroIsMovedToZero() throws {
        let input = try DamagedMedia.nearWrapTransportStream(name: "run-wrap.ts")
        let first = try XCTUnwrap(VideoReader(path: input).nextFrame())
        XCTAssertLessThan(first.pts, -80_000, "the clip this test needs starts about 1 s before 0")
        let (result, _) = try runVerified(input, "null", output: "run-wrap.mp4")
        XCTAssertEqual(result.framesOut, 50)
        let output = TestMedia.path("run-wrap.mp4")
        for type in ["video", "audio"] {
            let stream = try XCTUnwrap(TestMedia.ffprobeStreams(output, type: type).first)
            XCTAssertEqual(Double(stream["start_time"] as? String ?? "") ?? -1, 0, accuracy: 0.03, type)
            XCTAssertEqual(Double(stream["duration"] as? String ?? "") ?? -1, 2, accuracy: 0.05, type)
        }
    }
}
