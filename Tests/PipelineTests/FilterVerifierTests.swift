import MediaIO
import Pipeline
import WarpFlowTestSupport
import XCTest

/// `FilterVerifier` itself: each kind of broken filter is caught.
final class FilterVerifierTests: XCTestCase {
    /// A filter broken in one chosen way.
    final class Broken: VideoFilter {
        enum Fault { case none, reusesEmittedFrame, repeatsPTS, wrongSize, holdsAfterFinish }
        static let name = "broken"
        static let summary = "misbehaves on purpose"
        static let options: [FilterOption] = []
        nonisolated(unsafe) static var fault = Fault.none
        let fault = Broken.fault
        var kept: Frame?
        var held: [Frame] = []
        init(options: FilterOptionValues) throws {}
        func configure(input: StreamFormat) throws -> StreamFormat { input }
        func process(_ frame: Frame, emit: FrameSink) throws {
            switch fault {
            case .none: try emit(frame)
            case .reusesEmittedFrame:
                // Emits one frame object again and again, rewriting it: a later write changes
                // what an earlier emit handed over.
                if kept == nil { kept = try frame.copy() }
                try kept!.withMutablePlane(0) { p, _, _, _ in p[0] = UInt8(truncatingIfNeeded: Int(frame.pts) * 40) }
                kept!.pts = frame.pts
                try emit(kept!)
            case .repeatsPTS:
                frame.pts = 0
                try emit(frame)
            case .wrongSize:
                try emit(try Frame(width: frame.width / 2, height: frame.height, pixelFormat: frame.pixelFormat, pts: frame.pts,
                                   timeBase: frame.timeBase))
            case .holdsAfterFinish:
                held.append(frame)
            }
        }
        func finish(emit: FrameSink) throws {
            if fault == .holdsAfterFinish, let first = held.first {
                try emit(first)   // flushes one at a time, forgetting nothing
            }
        }
    }

    func testEachBrokenContractIsCaught() throws {
        let input = StreamFormat(width: 32, height: 16, pixelFormat: .yuv420p, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let frames = try FilterVerifier.syntheticFrames(input, count: 4)
        let verifier = FilterVerifier(input: input) { try Broken(options: FilterOptionValues(filterName: "broken", values: [:], explicitlySet: [])) }
        Broken.fault = .none
        XCTAssertNoThrow(try verifier.verify(frames, expectedCount: 4))
        for fault in [Broken.Fault.reusesEmittedFrame, .repeatsPTS, .wrongSize, .holdsAfterFinish] {
            Broken.fault = fault
            XCTAssertThrowsError(try verifier.verify(frames), "\(fault)") { error in
                XCTAssertTrue(error is FilterVerifier.Failure, "\(fault): \(error)")
            }
        }
        Broken.fault = .none
    }
}
