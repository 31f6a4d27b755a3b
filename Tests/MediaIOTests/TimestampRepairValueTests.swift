@testable import MediaIO
import XCTest

/// Timestamp repair as a pure value: every case without a file (ticks of 1/25 s, one period 1).
final class TimestampRepairValueTests: XCTestCase {
    func place(_ raws: [Int64?], repairs: Bool = true) -> (placed: [Int64?], stats: DecodeStats) {
        var timeline = VideoTimestampRepair(repairs: repairs, frameTicks: 1, forwardJumpLimit: 100, backwardJumpLimit: 100)
        var stats = DecodeStats()
        let placed = raws.map { timeline.place(raw: $0, start: 0, declaredStart: 0, afterSeek: false, countsLoss: true, stats: &stats) }
        return (placed, stats)
    }

    func testMissingRepeatedAndJumpingTimestamps() {
        // A missing pts continues one period on; a repeat is dropped.
        var r = place([0, nil, 2, 2, 3])
        XCTAssertEqual(r.placed, [0, 1, 2, nil, 3])
        XCTAssertEqual(r.stats.framesPtsFilled, 1)
        XCTAssertEqual(r.stats.framesDropped, 1)
        // A jump beyond the limit continues one period after the last frame, and shifts the rest.
        r = place([0, 1, 5000, 5001, 5002])
        XCTAssertEqual(r.placed, [0, 1, 2, 3, 4])
        XCTAssertEqual(r.stats.timestampDiscontinuities, 1)
        XCTAssertEqual(r.stats.framesRetimed, 3)
        // A gap under the limit is kept, and its missing frames counted.
        r = place([0, 1, 5])
        XCTAssertEqual(r.placed, [0, 1, 5])
        XCTAssertEqual(r.stats.framesLost, 3)
        // Without repair, pts pass through.
        XCTAssertEqual(place([0, 5000, 2], repairs: false).placed, [0, 5000, 2])
        // The end of the 64-bit timeline (no declared start): nothing can follow, and nothing traps.
        var timeline = VideoTimestampRepair(repairs: true, frameTicks: 1, forwardJumpLimit: 100, backwardJumpLimit: 100)
        var stats = DecodeStats()
        XCTAssertEqual(timeline.place(raw: .max, start: 0, declaredStart: nil, afterSeek: false, countsLoss: true, stats: &stats), .max)
        XCTAssertNil(timeline.place(raw: nil, start: 0, declaredStart: nil, afterSeek: false, countsLoss: true, stats: &stats))
        XCTAssertEqual(stats.framesDropped, 1)
    }

    func testFirstFrameFarFromTheDeclaredStartIsMovedThere() {
        var timeline = VideoTimestampRepair(repairs: true, frameTicks: 1, forwardJumpLimit: 100, backwardJumpLimit: 100)
        var stats = DecodeStats()
        XCTAssertEqual(timeline.place(raw: 9000, start: 0, declaredStart: 0, afterSeek: false, countsLoss: true, stats: &stats), 0)
        XCTAssertEqual(timeline.place(raw: 9001, start: 0, declaredStart: 0, afterSeek: false, countsLoss: true, stats: &stats), 1)
        timeline.reset()
        XCTAssertEqual(timeline.place(raw: 9000, start: 0, declaredStart: 0, afterSeek: true, countsLoss: true, stats: &stats), 9000,
                       "after a seek the first frame keeps its pts")
    }

    func testAudioDropsWhatDoesNotIncreaseAndFollowsRestarts() {
        var clock = AudioTimestampRepair(forward: 1000, backward: 1000)
        var stats = DecodeStats()
        let none = Int64.min
        func feed(_ dts: Int64) -> Int64? { clock.repair(dts: dts, pts: dts, duration: 10, none: none, stats: &stats)?.dts }
        XCTAssertEqual(feed(0), 0)
        XCTAssertEqual(feed(10), 10)
        XCTAssertNil(feed(10), "a repeated dts is dropped")
        XCTAssertEqual(feed(-50_000), 20, "a restarted clock continues after the last packet")
        XCTAssertEqual(feed(-49_990), 30)
        XCTAssertEqual(stats.audioPacketsDropped, 1)
        XCTAssertEqual(stats.audioDiscontinuities, 1)
        XCTAssertEqual(clock.repair(dts: none, pts: none, duration: 10, none: none, stats: &stats)?.dts, none, "no timestamp passes")
    }
}
