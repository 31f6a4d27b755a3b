import Foundation
import XCTest
import DatasetJob
import Tensors

/// The `safetensors` fuzz target's seeds (Tests/Fuzz/corpus/safetensors) and the inputs it once
/// failed on (Tests/Fuzz/regressions/safetensors), fed through the same path as the target:
/// parse, read every tensor, write again, parse again.
final class SafetensorsFuzzRegressionTests: XCTestCase {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    func files(_ sub: String) -> [URL] {
        let folder = Self.fuzzFolder.appendingPathComponent(sub)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    /// Valid seeds parse and round-trip; broken ones are refused naming the input.
    func testSeedCorpus() throws {
        let seeds = files("corpus/safetensors")
        XCTAssertGreaterThanOrEqual(seeds.count, 10, "seeds missing in \(Self.fuzzFolder.path)")
        for url in seeds {
            let name = url.lastPathComponent
            let outcome = try exercise([UInt8](Data(contentsOf: url)))
            if name.hasPrefix("valid-") {
                XCTAssertNil(outcome, "\(name) refused: \(outcome ?? "")")
            } else {
                XCTAssertNotNil(outcome, "\(name) accepted")
            }
        }
    }

    /// Inputs the fuzzer once failed on: none may trap, and each round-trips or is refused.
    func testRegressions() throws {
        for url in files("regressions/safetensors") {
            _ = try exercise([UInt8](Data(contentsOf: url)))
        }
    }

    /// What the fuzz target does with `bytes`: nil when the file is accepted and round-trips
    /// (failing the test otherwise), else the refusal.
    func exercise(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        let parsed: SafetensorsFile
        do {
            parsed = try SafetensorsFile(bytes: bytes, name: "fuzz-input")
        } catch let error as DatasetError {
            XCTAssertEqual(error.subject, "fuzz-input", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            return error.problem
        }
        var writer = SafetensorsWriter(metadata: parsed.metadata)
        for t in parsed.tensors {
            let raw = Array(try parsed.bytes(of: t.name))
            XCTAssertEqual(raw.count, t.byteRange.count, file: file, line: line)
            switch t.dtype {
            case .u8:
                try writer.add(t.name, shape: t.shape, uint8: try parsed.uint8(t.name))
            case .f16, .bf16, .f32:
                let values = try parsed.floats(t.name)
                XCTAssertEqual(values.count, raw.count / t.dtype.byteSize, file: file, line: line)
                if values.allSatisfy(\.isFinite) {
                    XCTAssertEqual(try writer.add(t.name, shape: t.shape, floats: values, as: t.dtype, promoteOnOverflow: false), t.dtype, file: file, line: line)
                } else {
                    var probe = writer
                    XCTAssertThrowsError(try probe.add(t.name, shape: t.shape, floats: values, as: t.dtype), file: file, line: line)
                    try writer.add(t.name, dtype: t.dtype, shape: t.shape, bytes: raw)
                }
            default:
                if t.dtype == .f64 { XCTAssertEqual(try parsed.floats(t.name).count, raw.count / 8, file: file, line: line) }
                try writer.add(t.name, dtype: t.dtype, shape: t.shape, bytes: raw)
            }
        }
        let out = try writer.serialized()
        let again = try SafetensorsFile(bytes: out)
        XCTAssertEqual(again.metadata, parsed.metadata, file: file, line: line)
        XCTAssertEqual(again.tensors, parsed.tensors, file: file, line: line)
        for t in parsed.tensors {
            XCTAssertEqual(try again.bytes(of: t.name), try parsed.bytes(of: t.name), t.name, file: file, line: line)
        }
        return nil
    }
}
