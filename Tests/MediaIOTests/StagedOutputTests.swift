import Foundation
@testable import MediaIO
import WarpFlowTestSupport
import XCTest

/// Outputs put in place together (`StagedFile`), and the process's live temporaries that an
/// interrupted CLI removes (`LiveTemporaries`).
final class StagedOutputTests: XCTestCase {
    /// A finished GIF, staged under its temporary name.
    private func stagedGIF(_ path: String) throws -> StagedFile {
        let frames = (0..<3).map { GIFWriterTests.pattern($0, width: 32, height: 24) }
        return try GIFWriter.writeStaged(frames: frames, width: 32, height: 24, frameRate: Rational(10, 1), to: path).file
    }

    func testStagedFilesAppearTogetherOnCommit() throws {
        let folder = try TestMedia.makeScratchDirectory("staged-commit")
        let a = try stagedGIF(folder + "/a.gif"), b = try stagedGIF(folder + "/b.gif")
        // Finished but not in place: only the hidden temporaries exist, and they are live.
        XCTAssertEqual(TestMedia.listDirectory(folder).filter { !$0.hasPrefix(".") }, [])
        XCTAssertTrue(LiveTemporaries.current.isSuperset(of: [a.temporary, b.temporary]))
        try StagedFile.commit([a, b])
        XCTAssertEqual(TestMedia.listDirectory(folder).sorted(), ["a.gif", "b.gif"])
        XCTAssertFalse(LiveTemporaries.current.contains(a.temporary))
        XCTAssertEqual(try TestMedia.ffprobeStreams(folder + "/b.gif", type: "video").first?["width"] as? Int, 32)
    }

    func testDirectoryInTheWayRefusesEveryFileBeforeAnyRename() throws {
        let folder = try TestMedia.makeScratchDirectory("staged-refused")
        try FileManager.default.createDirectory(atPath: folder + "/b.gif", withIntermediateDirectories: false)
        let a = try stagedGIF(folder + "/a.gif"), b = try stagedGIF(folder + "/b.gif")
        XCTAssertThrowsError(try StagedFile.commit([a, b])) { error in
            XCTAssertEqual((error as? MediaError)?.path, folder + "/b.gif")
        }
        // a.gif was not put in place on its own, and no temporary is left or still registered.
        XCTAssertEqual(TestMedia.listDirectory(folder), ["b.gif"])
        XCTAssertTrue(LiveTemporaries.current.isDisjoint(with: [a.temporary, b.temporary]))
    }

    func testDiscardRemovesTheTemporary() throws {
        let folder = try TestMedia.makeScratchDirectory("staged-discard")
        let a = try stagedGIF(folder + "/a.gif")
        StagedFile.discard([a])
        XCTAssertEqual(TestMedia.listDirectory(folder), [])
        XCTAssertFalse(LiveTemporaries.current.contains(a.temporary))
    }

    func testStagedVideoIsAFinishedFileUnderItsTemporaryName() throws {
        let folder = try TestMedia.makeScratchDirectory("staged-video")
        let clip = try TestMedia.makeClip(name: "staged-src.mp4", args: TestMedia.testSource(width: 64, height: 48, rate: "10", seconds: 1)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let reader = try VideoReader(path: clip)
        let writer = try VideoWriter(path: folder + "/v.mp4", format: reader.info.format, settings: EncoderSettings(preset: "ultrafast"))
        while let f = try reader.nextFrame() { try writer.write(f) }
        let staged = try writer.finishStaged()
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/v.mp4"))
        // The temporary decodes completely (its trailer is written) before it is renamed.
        let again = try VideoReader(path: staged.temporary)
        var n = 0
        while try again.nextFrame() != nil { n += 1 }
        XCTAssertEqual(n, 10)
        try StagedFile.commit([staged])
        XCTAssertEqual(TestMedia.listDirectory(folder), ["v.mp4"])
    }
}
