import DatasetJob
import XCTest

final class ShardSpecTests: XCTestCase {
    func testParse() throws {
        XCTAssertEqual(try ShardSpec.parse("2/5"), try ShardSpec(index: 2, count: 5))
        for bad in ["5/5", "-1/3", "1/0", "a/b", "1", "1/2/3", "", "99999999999999999999/2"] {
            XCTAssertThrowsError(try ShardSpec.parse(bad), bad) { XCTAssertTrue("\($0)".hasPrefix("--shard"), "\($0)") }
        }
    }

    func testEveryClipBelongsToExactlyOneShard() throws {
        let shards = try (0..<3).map { try ShardSpec(index: $0, count: 3) }
        for clip in 0..<20 { XCTAssertEqual(shards.filter { $0.contains(clip: clip) }.count, 1) }
    }

    func testSchedulerEnvironment() throws {
        XCTAssertNil(try ShardSpec.fromEnvironment([:], shardCount: nil))
        XCTAssertEqual(try ShardSpec.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"], shardCount: nil),
                       try ShardSpec(index: 1, count: 3))
        // --array=1-4: the first task is shard 0.
        XCTAssertEqual(try ShardSpec.fromEnvironment(["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1",
                                                      "SLURM_ARRAY_TASK_MAX": "4"], shardCount: nil),
                       try ShardSpec(index: 3, count: 4))
        XCTAssertEqual(try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "0"], shardCount: 2), try ShardSpec(index: 0, count: 2))
        XCTAssertThrowsError(try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "0"], shardCount: nil)) {
            XCTAssertTrue("\($0)".contains("--shard-count"))
        }
        XCTAssertThrowsError(try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "5"], shardCount: 2)) {
            XCTAssertTrue("\($0)".contains("JOB_COMPLETION_INDEX=5"), "\($0)")
        }
        XCTAssertThrowsError(try ShardSpec.fromEnvironment(["SLURM_ARRAY_TASK_ID": "x"], shardCount: nil))
    }
}
