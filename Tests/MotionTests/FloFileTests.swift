import Foundation
import XCTest
import Raster
@testable import Flow

final class FloFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func testRoundTripIsBitExact() throws {
        var flow = FlowField(width: 37, height: 23)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<flow.u.count {
            flow.u.data[i] = Float.random(in: -300...300, using: &rng)
            flow.v.data[i] = Float(bitPattern: UInt32.random(in: 0...0x7f7f_ffff, using: &rng)) * (i % 2 == 0 ? 1 : -1)
        }
        flow.u.data[0] = -0.0
        flow.v.data[1] = .leastNonzeroMagnitude
        flow.u.data[2] = 1e10 // Middlebury's "unknown" marker
        let path = dir.appendingPathComponent("a.flo").path
        try flow.write(floPath: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(bytes.count, 12 + 8 * 37 * 23)
        XCTAssertEqual(Array(bytes[0..<4]), Array("PIEH".utf8))
        XCTAssertEqual(Array(bytes[4..<12]), [37, 0, 0, 0, 23, 0, 0, 0])
        let back = try FlowField.read(floPath: path)
        XCTAssertEqual(back.width, 37)
        XCTAssertEqual(back.height, 23)
        XCTAssertEqual(back.u.data.map(\.bitPattern), flow.u.data.map(\.bitPattern))
        XCTAssertEqual(back.v.data.map(\.bitPattern), flow.v.data.map(\.bitPattern))
        // First vector is stored as interleaved little-endian u then v.
        let u0 = UInt32(bytes[12]) | UInt32(bytes[13]) << 8 | UInt32(bytes[14]) << 16 | UInt32(bytes[15]) << 24
        XCTAssertEqual(u0, flow.u.data[0].bitPattern)
        let v0 = UInt32(bytes[16]) | UInt32(bytes[17]) << 8 | UInt32(bytes[18]) << 16 | UInt32(bytes[19]) << 24
        XCTAssertEqual(v0, flow.v.data[0].bitPattern)
        // The atomic write leaves no temporary file behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.flo"])
    }

    func assertFloError(_ bytes: [UInt8], contains fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = dir.appendingPathComponent("bad-\(UUID().uuidString).flo").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try FlowField.read(floPath: path), file: file, line: line) { error in
            guard case .floFile(let p, let problem)? = error as? MotionError else {
                return XCTFail("unexpected error \(error)", file: file, line: line)
            }
            XCTAssertEqual(p, path, file: file, line: line)
            XCTAssertTrue(problem.contains(fragment), "\(problem) lacks \(fragment)", file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix(path), file: file, line: line)
        }
    }

    func testGarbageFileIsRejected() throws {
        try assertFloError(Array("this is a text file, not a flow\n".utf8), contains: "PIEH")
        try assertFloError([1, 2, 3], contains: "shorter than the 12-byte header")
    }

    func testTruncatedAndBadSizeFilesAreRejected() throws {
        let flow = FlowField(width: 8, height: 4)
        let good = [UInt8](flow.encodedFlo())
        try assertFloError(Array(good.dropLast(5)), contains: "truncated")
        try assertFloError(good + [0], contains: "too long")
        var negative = good
        negative[7] = 0xff // width becomes negative
        try assertFloError(negative, contains: "invalid flow size")
    }

    func testMissingFileAndUnwritablePathGiveErrors() throws {
        let missing = dir.appendingPathComponent("missing.flo").path
        XCTAssertThrowsError(try FlowField.read(floPath: missing)) { error in
            XCTAssertTrue("\(error)".contains("missing.flo: cannot read"), "\(error)")
        }
        let unwritable = dir.appendingPathComponent("no/such/dir/x.flo").path
        XCTAssertThrowsError(try FlowField(width: 2, height: 2).write(floPath: unwritable)) { error in
            XCTAssertTrue("\(error)".contains("cannot write"), "\(error)")
        }
    }
}
