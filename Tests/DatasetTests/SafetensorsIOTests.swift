import Foundation
import XCTest
@testable import DatasetJob
@testable import Tensors

/// Safetensors files on disk: the atomic write under failures, files exchanged with the
/// reference Python package, and the fuzz target's seeds and regressions replayed.
final class DataFileIOTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        chmod(dir.path, 0o755)
        try? FileManager.default.removeItem(at: dir)
    }

    func listing(_ url: URL? = nil) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: (url ?? dir).path)) ?? []).sorted()
    }

    func sample() throws -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: ["format": "warpflow-dataset"])
        try writer.add("frames", shape: [2, 2, 3], uint8: Array(0..<12))
        try writer.add("spectra", shape: [3], floats: [0.5, -1, 1e5], as: .f16)  // promoted to F32
        return writer
    }

    func testWriteCreatesAndReplacesTheFileAndLeavesNoTemporary() throws {
        let path = dir.appendingPathComponent("shard.safetensors").path
        var writer = try sample()
        try writer.write(to: path)
        XCTAssertEqual(listing(), ["shard.safetensors"])
        XCTAssertEqual(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), try writer.serialized())
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.tensor("spectra")?.dtype, .f32)
        XCTAssertEqual(try file.floats("spectra"), [0.5, -1, 1e5])
        XCTAssertEqual(file.source, path)
        try writer.add("more", shape: [1], uint8: [1])
        try writer.write(to: path)
        XCTAssertEqual(try SafetensorsFile(path: path).tensors.count, 3)
        XCTAssertEqual(listing(), ["shard.safetensors"])
    }

    func testUnwritableDirectoryLeavesNoFile() throws {
        let locked = dir.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        XCTAssertEqual(chmod(locked.path, 0o555), 0)
        // root may write anywhere except where the kernel says no: /proc takes no new files.
        let path = access(locked.path, W_OK) == 0 ? "/proc/warpflow-st-test.safetensors" : locked.appendingPathComponent("x.safetensors").path
        let inFile = dir.appendingPathComponent("plain").path
        XCTAssertTrue(FileManager.default.createFile(atPath: inFile, contents: Data([1])))
        for target in [path, dir.appendingPathComponent("missing/x.safetensors").path, inFile + "/x.safetensors"] {
            XCTAssertThrowsError(try sample().write(to: target)) { error in
                XCTAssertEqual((error as? DatasetError)?.subject, target)
                XCTAssertTrue("\(error)".contains("temporary file"), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: target), target)
        }
        XCTAssertEqual(listing(locked), [])
        XCTAssertEqual(listing(), ["locked", "plain"])
    }

    func testFailedWriteKeepsTheOldFileAndRemovesTheTemporary() throws {
        let path = dir.appendingPathComponent("shard.safetensors").path
        let old = Data("old contents".utf8)
        try old.write(to: URL(fileURLWithPath: path))
        let big = try { () throws -> SafetensorsWriter in
            var w = SafetensorsWriter()
            try w.add("x", shape: [100_000], floats: (0..<100_000).map { Float($0) }, as: .f32)
            return w
        }()
        // The disk fills up after the first 10 bytes.
        var full = DataFileIO.Calls.system
        full.write = { fd, bytes, count in
            lseek(fd, 0, SEEK_CUR) >= 10 ? { errno = ENOSPC; return -1 }() : write(fd, bytes, min(count, 10))
        }
        XCTAssertThrowsError(try big.write(to: path, io: full)) { error in
            XCTAssertEqual((error as? DatasetError)?.subject, path)
            XCTAssertTrue("\(error)".contains("No space left"), "\(error)")
        }
        var failingFsync = DataFileIO.Calls.system
        failingFsync.fsync = { _ in errno = EIO; return -1 }
        XCTAssertThrowsError(try big.write(to: path, io: failingFsync)) { XCTAssertTrue("\($0)".contains("flush"), "\($0)") }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), old)
        XCTAssertEqual(listing(), ["shard.safetensors"])
        // A directory under the final name: refused before anything is written, no temporary left.
        let taken = dir.appendingPathComponent("taken.safetensors")
        try FileManager.default.createDirectory(at: taken.appendingPathComponent("inside"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try big.write(to: taken.path)) { XCTAssertTrue("\($0)".contains("cannot be replaced: it is a directory"), "\($0)") }
        XCTAssertEqual(listing(), ["shard.safetensors", "taken.safetensors"])
        XCTAssertEqual(listing(taken), ["inside"])
    }

    // MARK: - The reference implementation

    /// The Python interpreter with the `safetensors` package: `WARPFLOW_PYTHON` or `python3`.
    func python() throws -> String {
        let python = ProcessInfo.processInfo.environment["WARPFLOW_PYTHON"] ?? "python3"
        guard (try? run(python, ["-c", "import safetensors, numpy"])) != nil else {
            throw XCTSkip("\(python) cannot import safetensors and numpy; to run this check: python3 -m venv --system-site-packages /tmp/st-venv && /tmp/st-venv/bin/pip install safetensors, then WARPFLOW_PYTHON=/tmp/st-venv/bin/python")
        }
        return python
    }

    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw DatasetError(executable, text) }
        return text
    }

    /// Our file read by `safetensors.numpy`, its file read by us; each side computes the
    /// expected values from the same formulas.
    func testFilesExchangeWithThePythonPackage() throws {
        let python = try python()
        var writer = SafetensorsWriter(metadata: ["format": "warpflow-dataset", "note": "é \"q\" \\ \n"])
        try writer.add("frames", shape: [2, 3, 4], uint8: (0..<24).map { UInt8($0 * 7 % 256) })
        try writer.add("spectra", shape: [2, 5], floats: (0..<10).map { Float($0 - 4) * 0.25 }, as: .f16)
        try writer.add("wide", shape: [3, 2], floats: (0..<6).map { Float($0) * 1.5 - 2 }, as: .f32)
        try writer.add("empty", shape: [0, 3], floats: [], as: .f32)
        let ours = dir.appendingPathComponent("ours.safetensors").path
        try writer.write(to: ours)
        let theirs = dir.appendingPathComponent("theirs.safetensors").path
        let script = """
        import sys, numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file, save_file
        t = load_file(sys.argv[1])
        assert sorted(t) == ["empty", "frames", "spectra", "wide"], sorted(t)
        assert t["frames"].dtype == np.uint8 and t["frames"].shape == (2, 3, 4)
        assert (t["frames"].ravel() == (np.arange(24) * 7 % 256)).all()
        assert t["spectra"].dtype == np.float16 and (t["spectra"].ravel() == (np.arange(10) - 4) * 0.25).all()
        assert t["wide"].dtype == np.float32 and (t["wide"].ravel() == np.arange(6) * 1.5 - 2).all()
        assert t["empty"].shape == (0, 3)
        with safe_open(sys.argv[1], framework="np") as f:
            assert f.metadata() == {"format": "warpflow-dataset", "note": "é \\"q\\" \\\\ \\n"}, f.metadata()
        save_file({"h": (np.arange(12, dtype=np.float16) - 6) / 8, "f": np.linspace(-1, 1, 5, dtype=np.float32),
                   "d": np.array([0.1, 1e300], dtype=np.float64), "u": np.arange(5, dtype=np.uint8).reshape(5, 1),
                   "i": np.array([-3, 4], dtype=np.int32)}, sys.argv[2], metadata={"from": "python"})
        print("ok")
        """
        let scriptPath = dir.appendingPathComponent("check.py").path
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        XCTAssertEqual(try run(python, [scriptPath, ours, theirs]).trimmingCharacters(in: .whitespacesAndNewlines), "ok")
        let file = try SafetensorsFile(path: theirs)
        XCTAssertEqual(file.metadata, ["from": "python"])
        XCTAssertEqual(try file.floats("h"), (0..<12).map { Float($0 - 6) / 8 })
        XCTAssertEqual(try file.floats("f"), [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(try file.floats("d"), [Float(0.1), .infinity])
        XCTAssertEqual(try file.uint8("u"), [0, 1, 2, 3, 4])
        XCTAssertEqual(file.tensor("u")?.shape, [5, 1])
        XCTAssertEqual(Array(try file.bytes(of: "i")), [0xfd, 0xff, 0xff, 0xff, 4, 0, 0, 0])
    }
}
